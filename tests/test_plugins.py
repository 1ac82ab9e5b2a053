"""Plugin loading: throwaway plugins, real entry points, allow/block lists, helpful errors."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from toy_provider import ToyPlugin, ToyProvider

import crmbridge
from crmbridge import plugins
from crmbridge.plugin import hookimpl


@pytest.fixture
def fresh_plugins() -> Iterator[None]:
    """Reload entry points before and after a test that changes the environment."""
    plugins.reload()
    yield
    plugins.reload()


@pytest.fixture
def installed_distribution(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A real installed distribution (a module plus its .dist-info, as pip lays them out) that
    registers a provider through the ``crmbridge`` entry point group."""
    (tmp_path / "crmbridge_hello.py").write_text(
        textwrap.dedent("""
        import crmbridge
        from crmbridge.plugin import hookimpl

        class HelloProvider(crmbridge.Provider):
            name = "hello"
            description = "says hello"

        @hookimpl
        def crmbridge_register_providers(register):
            register(HelloProvider)
    """)
    )
    info = tmp_path / "crmbridge_hello-1.2.3.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: crmbridge-hello\nVersion: 1.2.3\n")
    (info / "entry_points.txt").write_text("[crmbridge]\nhello = crmbridge_hello\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    sys.modules.pop("crmbridge_hello", None)


def test_throwaway_plugin_registers_a_provider(toy_plugin: ToyPlugin) -> None:
    assert plugins.get_provider("toy") is ToyProvider
    info = plugins.providers()["toy"]
    assert info.distribution is None
    assert info.plugin == "toy-test-plugin"


def test_unregistered_plugin_is_gone() -> None:
    plugin = ToyPlugin()
    plugins.register_plugin(plugin, name="gone")
    plugins.unregister_plugin(plugin)
    assert "toy" not in plugins.providers()


@pytest.mark.usefixtures("fresh_plugins")
def test_entry_point_distribution_is_loaded(installed_distribution: Path) -> None:
    plugins.reload()
    info = plugins.providers()["hello"]
    assert info.distribution == "crmbridge-hello"
    assert info.version == "1.2.3"
    assert plugins.get_provider("hello").__name__ == "HelloProvider"


@pytest.mark.usefixtures("fresh_plugins")
def test_built_in_providers_come_from_their_distributions() -> None:
    found = plugins.providers()
    assert found["attio"].distribution == "crmbridge-attio"
    assert found["kizen"].distribution == "crmbridge-kizen"


@pytest.mark.usefixtures("fresh_plugins")
def test_allow_list(installed_distribution: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRMBRIDGE_LOAD_PLUGINS", "hello")
    plugins.reload()
    assert set(plugins.providers()) == {"hello"}
    monkeypatch.setenv("CRMBRIDGE_LOAD_PLUGINS", "")
    plugins.reload()
    assert plugins.providers() == {}


@pytest.mark.usefixtures("fresh_plugins")
def test_block_list(installed_distribution: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRMBRIDGE_DISABLE_PLUGINS", "crmbridge-hello, kizen")
    plugins.reload()
    found = plugins.providers()
    assert "hello" not in found
    assert "kizen" not in found
    assert "attio" in found


@pytest.mark.usefixtures("fresh_plugins")
def test_unknown_provider_lists_installed_and_says_how_to_install() -> None:
    with pytest.raises(crmbridge.ConfigError) as info:
        crmbridge.connect("hubspot", token="x")
    message = str(info.value)
    assert "'hubspot'" in message
    assert "attio" in message
    assert "kizen" in message
    assert "pip install crmbridge-hubspot" in message


def test_registering_a_non_provider_is_refused() -> None:
    class Bad:
        @hookimpl
        def crmbridge_register_providers(self, register):  # type: ignore[no-untyped-def]
            register(dict)

    plugin = Bad()
    plugins.register_plugin(plugin, name="bad")
    try:
        assert "not a crmbridge.Provider" in plugins.broken()["bad"]
        with pytest.raises(crmbridge.ConfigError, match="Plugin 'bad' failed to load"):
            plugins.get_provider("nothing")
    finally:
        plugins.unregister_plugin(plugin)


def test_every_hook_is_documented() -> None:
    """datasette's rule: a hook without documentation fails the build."""
    from crmbridge import hookspecs

    docs = (Path(__file__).parents[1] / "docs" / "plugins" / "hooks.md").read_text()
    hooks = [n for n in dir(hookspecs) if n.startswith("crmbridge_")]
    assert hooks
    for name in hooks:
        assert f"## {name}" in docs, f"hook {name} is not documented in docs/plugins/hooks.md"


@pytest.fixture
def broken_distribution(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An installed third-party plugin whose module fails to import."""
    (tmp_path / "crmbridge_broken.py").write_text("import no_such_module_anywhere\n")
    info = tmp_path / "crmbridge_broken-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: crmbridge-broken\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[crmbridge]\nbroken = crmbridge_broken\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    plugins.reload()
    yield tmp_path
    sys.modules.pop("crmbridge_broken", None)
    plugins.reload()


@pytest.mark.usefixtures("broken_distribution")
def test_a_plugin_that_fails_to_import_is_recorded_and_stops_nothing() -> None:
    with crmbridge.connect("attio", emulator=True) as crm:
        assert crm.objects()
    assert {"attio", "kizen"} <= set(plugins.providers())
    assert "no_such_module_anywhere" in plugins.broken()["broken"]


@pytest.mark.usefixtures("broken_distribution")
def test_the_command_line_works_beside_a_broken_plugin() -> None:
    from click.testing import CliRunner

    from crmbridge import cli

    commands = dict(cli.cli.commands)
    try:
        plugins.call_register_commands(cli.cli)
        runner = CliRunner()
        for args in (["--help"], ["--version"]):
            result = runner.invoke(cli.cli, args)
            assert result.exit_code == 0, result.output
        listed = runner.invoke(cli.cli, ["plugins"])
    finally:  # the plugins' commands stay out of the other tests' command line
        cli.cli.commands.clear()
        cli.cli.commands.update(commands)
    assert listed.exit_code == 0, listed.output
    assert "attio" in listed.output
    assert "broken" in listed.output
    assert "no_such_module_anywhere" in listed.output


def test_connecting_imports_only_the_provider_asked_for() -> None:
    """Issue 24 (cold start): a provider registered by import path (``register("module:Class",
    name=...)``) is imported when it is first asked for, so ``connect("attio")`` loads no other
    provider; listing the providers loads them all."""
    import json
    import subprocess

    code = (
        "import json, sys, crmbridge\n"
        "from crmbridge import plugins\n"
        "crm = crmbridge.connect('attio', emulator=True)\n"
        "others = sorted(m for m in ('crmbridge_kizen.provider', 'crmbridge_sqlite.provider')"
        " if m in sys.modules)\n"
        "listed = sorted(plugins.providers())\n"
        "print(json.dumps({'others': others, 'listed': listed,"
        " 'cls': plugins.providers()['kizen'].cls.__name__}))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    result = json.loads(done.stdout.splitlines()[-1])
    assert result["others"] == []
    assert {"attio", "kizen", "sqlite"} <= set(result["listed"])
    assert result["cls"] == "KizenProvider"


class _LazyPlugin:
    """Registers providers by import path, as the built-in plugins do."""

    def __init__(self, target: str, name: str | None) -> None:
        self.target, self.name = target, name

    @hookimpl
    def crmbridge_register_providers(self, register):  # type: ignore[no-untyped-def]
        register(self.target, name=self.name)


@pytest.mark.parametrize(
    ("target", "name", "message"),
    [
        ("toy_provider:ToyProvider", None, "give name="),
        ("toy_provider", "toy", "'module:Class'"),
        ("no_such_module_here:Thing", "lazytoy", "No module named 'no_such_module_here'"),
        ("toy_provider:ToyPlugin", "lazytoy", "not a crmbridge.Provider subclass"),
        ("toy_provider:ToyProvider", "lazytoy", "registers 'toy', not 'lazytoy'"),
    ],
)
def test_a_provider_registered_by_path_is_checked_when_loaded(
    target: str, name: str | None, message: str
) -> None:
    plugin = _LazyPlugin(target, name)
    plugins.register_plugin(plugin, name="lazy")
    try:
        with pytest.raises(crmbridge.ConfigError, match=message):
            plugins.get_provider(name or "toy")
        assert message in plugins.broken()["lazy"]
        assert (name or "toy") not in plugins.providers()
    finally:
        plugins.unregister_plugin(plugin)


def test_a_provider_registered_by_path_loads_on_first_use() -> None:
    plugin = _LazyPlugin("toy_provider:ToyProvider", "toy")
    plugins.register_plugin(plugin, name="lazy")
    try:
        assert plugins.get_provider("toy") is ToyProvider
        assert plugins.providers()["toy"].plugin == "lazy"
    finally:
        plugins.unregister_plugin(plugin)
