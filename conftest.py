"""Root conftest: make every retry instant in tests (stamina's testing mode), while keeping the
attempt bounds each test configures; run the slow tests first."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import stamina


@pytest.fixture(autouse=True, scope="session")
def _instant_retries() -> Iterator[None]:
    stamina.set_testing(True, attempts=100, cap=True)
    yield
    stamina.set_testing(False)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The slow tests (minutes each: the soak, the lowest-versions run) go first, in their order.

    pytest-xdist's ``load`` scheduling hands tests out in collection order; a slow test collected
    last would run alone on one worker while the others idle, so the suite's wall time would be
    the rest of the suite plus that test instead of the longer of the two."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
