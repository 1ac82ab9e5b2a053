"""Root conftest: make every retry instant in tests (stamina's testing mode), while keeping the
attempt bounds each test configures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import stamina


@pytest.fixture(autouse=True, scope="session")
def _instant_retries() -> Iterator[None]:
    stamina.set_testing(True, attempts=100, cap=True)
    yield
    stamina.set_testing(False)
