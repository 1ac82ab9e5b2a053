"""The collector setting of long migrations: raised for the block, always restored."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

import crmbridge.migrate
from crmbridge.cli import cli
from crmbridge.migrate import tuned_collector
from crmbridge.migrate.collector import THRESHOLD


@pytest.fixture(autouse=True)
def default_threshold() -> Iterator[None]:
    previous = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield
    gc.set_threshold(*previous)


def test_raises_the_first_threshold_and_restores_it() -> None:
    with tuned_collector():
        assert gc.get_threshold() == (THRESHOLD, 10, 10)
        assert gc.isenabled()
    assert gc.get_threshold() == (700, 10, 10)


def test_restores_after_an_error() -> None:
    inside: list[int] = []

    def fail() -> None:
        with tuned_collector(5_000):
            inside.append(gc.get_threshold()[0])
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        fail()
    assert inside == [5_000]
    assert gc.get_threshold() == (700, 10, 10)


def test_never_lowers_a_higher_setting() -> None:
    gc.set_threshold(50_000, 10, 10)
    with tuned_collector():
        assert gc.get_threshold()[0] == 50_000
    assert gc.get_threshold()[0] == 50_000


def test_refuses_a_threshold_that_is_not_positive() -> None:
    with pytest.raises(ValueError, match="positive"), tuned_collector(0):
        pass  # pragma: no cover


def test_the_migrate_command_runs_under_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[int, int, int]] = []

    async def fake_migrate(*args: object, **kwargs: object) -> crmbridge.migrate.Report:
        seen.append(gc.get_threshold())
        return crmbridge.migrate.Report()

    monkeypatch.setattr(crmbridge.migrate, "migrate_async", fake_migrate)
    result = CliRunner().invoke(
        cli,
        ["migrate", "attio", "kizen", "--source-emulator", "--target-emulator",
         "--map", "docs/examples/attio-to-kizen.toml", "--state", str(tmp_path / "s.db")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert seen == [(THRESHOLD, 10, 10)]
    assert gc.get_threshold() == (700, 10, 10)


def test_leaves_automatic_collection_off_when_it_was() -> None:
    gc.set_threshold(0, 10, 10)
    with tuned_collector():
        assert gc.get_threshold() == (0, 10, 10)
    assert gc.get_threshold() == (0, 10, 10)
