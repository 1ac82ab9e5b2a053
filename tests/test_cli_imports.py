"""Issue 24 (cold start): ``crmbridge --help`` pays only for what it shows.

Checked as modules loaded in a fresh interpreter, never as a time (bench/startup.py measures it):
the root help lists every command (the core's, the feature commands', the plugins'), yet loads no
HTTP client, no provider, no rich and no migration engine.
"""

from __future__ import annotations

import json
import subprocess
import sys

#: Modules the root ``--help`` must not load: what a command needs only when it runs.
HEAVY = (
    "httpx",
    "httpcore",
    "rich",
    "cattrs",
    "tomlkit",
    "crmbridge.bridge",
    "crmbridge.provider",
    "crmbridge.migrate.engine",
    "crmbridge.webhooks.receiver",
    "crmbridge_attio.provider",
    "crmbridge_kizen.provider",
    "crmbridge_sqlite.provider",
)


def _run(code: str) -> dict[str, object]:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.splitlines()[-1])  # type: ignore[no-any-return]


def test_root_help_loads_no_provider_http_client_or_rich() -> None:
    code = (
        "import contextlib, io, json, sys\n"
        "from crmbridge.cli import main\n"
        "sys.argv = ['crmbridge', '--help']\n"
        "text = io.StringIO()\n"
        "with contextlib.redirect_stdout(text), contextlib.suppress(SystemExit):\n"
        "    main()\n"
        f"heavy = sorted(m for m in {HEAVY!r} if m in sys.modules)\n"
        "print(json.dumps({'heavy': heavy, 'help': text.getvalue()}))\n"
    )
    result = _run(code)
    assert result["heavy"] == []
    shown = str(result["help"])
    for command in ("migrate", "sync", "webhooks", "emulate", "plugins", "sqlite", "demo"):
        assert f"  {command} " in shown, (command, shown)


def test_importing_httpx_through_crmbridge_skips_httpx_own_command_line() -> None:
    """httpx imports its command line (click, rich, pygments) whenever they are installed
    (httpx/__init__.py: ``from ._main import main``); crmbridge's clients never use it, and
    ``httpx.main`` and the module's other names still load the real one when used."""
    code = (
        "import json, sys\n"
        "import crmbridge.http, httpx\n"
        "loaded = sorted(m for m in ('rich', 'click', 'pygments') if m in sys.modules)\n"
        "import httpx._main as stand_in\n"
        "real = callable(stand_in.print_help) and sys.modules['httpx._main'].__file__\n"
        "print(json.dumps({'loaded': loaded, 'main': callable(httpx.main),"
        " 'real': real.endswith('_main.py') and 'rich' in sys.modules}))\n"
    )
    assert _run(code) == {"loaded": [], "main": True, "real": True}


def test_the_migrate_package_loads_its_modules_on_first_use() -> None:
    """``crmbridge.migrate``'s names load their modules when used; loading the modules ``.undo``
    and ``.verify`` (which the import system binds to the package's attributes of those names)
    keeps ``crmbridge.migrate.undo`` and ``.verify`` the functions."""
    code = (
        "import json, sys\n"
        "import crmbridge.migrate as m\n"
        "light = 'crmbridge.migrate.engine' not in sys.modules and 'httpx' not in sys.modules\n"
        "import crmbridge.migrate.undo\n"
        "from crmbridge.migrate.verify import verify_async\n"
        "from crmbridge.migrate import verify\n"
        "print(json.dumps({'light': light, 'undo': m.undo.__module__, 'verify': verify.__name__,"
        " 'names': sorted(n for n in m.__all__ if getattr(m, n, None) is None)}))\n"
    )
    assert _run(code) == {
        "light": True,
        "undo": "crmbridge.migrate",
        "verify": "verify",
        "names": [],
    }


def test_every_name_of_the_lazy_packages_loads() -> None:
    """The packages that load their names on first use (PEP 562) still give every name of their
    ``__all__``, and ``dir()`` lists them."""
    code = (
        "import importlib, json\n"
        "found = {}\n"
        "for name in ('crmbridge.plugin', 'crmbridge.migrate', 'crmbridge.webhooks',"
        " 'crmbridge_attio', 'crmbridge_kizen', 'crmbridge_sqlite'):\n"
        "    module = importlib.import_module(name)\n"
        "    found[name] = [n for n in module.__all__"
        " if getattr(module, n, None) is None or n not in dir(module)]\n"
        "print(json.dumps(found))\n"
    )
    found = _run(code)
    assert len(found) == 6
    assert all(missing == [] for missing in found.values()), found
