"""Strict emulators: a test fails on any 4xx an emulator answered that the test did not expect.

An emulator refuses what the real CRM refuses, with the CRM's error (issue 17). That only
protects a provider if its tests notice the refusals its own requests get — including the ones
swallowed or turned into a "not found" on the way. In strict mode every 4xx an emulator's
``handle`` answers is recorded (through :data:`crmbridge.emulation.refusal_watchers`), and the
test fails at teardown unless each was expected:

* by the provider itself — the request declared the status in ``build_request(expect=…)``
  (a plan that reads a 404 or a 403 as an answer);
* by the test — ``with crmbridge_strict_emulators.expect(400, "uniqueness_conflict"):`` around the call,
  or ``@pytest.mark.crmbridge_emulator_refusals("404", "400:uniqueness_conflict")`` on the test or class.

Any provider's tests can use it: ``pytestmark = pytest.mark.usefixtures("crmbridge_strict_emulators")``
in a module, or an autouse fixture in a ``conftest.py`` that requests ``crmbridge_strict_emulators``.
The error code is the ``code`` key of the JSON body when there is one (Attio's error bodies).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any

import attrs
import httpx

from ..emulation import Emulator, refusal_watchers
from ..provider import EXPECT

__all__ = ["Refusal", "StrictEmulators"]


@attrs.frozen
class Refusal:
    """One 4xx answer: which emulator, what request, what status and error code."""

    emulator: str
    method: str
    path: str
    status: int
    code: str | None
    body: Any

    def __str__(self) -> str:
        code = f" {self.code}" if self.code else ""
        return f"{self.emulator}: {self.method} {self.path} -> {self.status}{code}: {self.body}"


def _code(body: Any) -> str | None:
    code = body.get("code") if isinstance(body, dict) else None
    return code if isinstance(code, str) else None


def _parse(spec: str) -> tuple[int, str | None]:
    """``"404"`` or ``"400:uniqueness_conflict"`` → ``(status, code or None)``."""
    status, _, code = spec.partition(":")
    return int(status), code or None


class StrictEmulators:
    """Records the refusals of every emulator while installed; :meth:`check` lists the ones
    nobody expected."""

    def __init__(self, expected: tuple[tuple[int, str | None], ...] = ()) -> None:
        self.refusals: list[Refusal] = []
        self.unexpected: list[Refusal] = []
        self._expected: list[tuple[int, str | None]] = list(expected)

    def __call__(
        self, emulator: Emulator, request: httpx.Request, response: httpx.Response
    ) -> None:
        try:
            body: Any = json.loads(response.content) if response.content else None
        except ValueError:
            body = response.text
        refusal = Refusal(
            emulator.name,
            request.method,
            request.url.path,
            response.status_code,
            _code(body),
            body,
        )
        self.refusals.append(refusal)
        if response.status_code in request.extensions.get(EXPECT, ()):
            return  # the provider's plan asked to see this status
        if any(
            status == refusal.status and code in (None, refusal.code)
            for status, code in self._expected
        ):
            return
        self.unexpected.append(refusal)

    @contextlib.contextmanager
    def expect(self, status: int, code: str | None = None) -> Iterator[None]:
        """Refusals with ``status`` (and ``code``, when given) are expected inside the block."""
        self._expected.append((status, code))
        try:
            yield
        finally:
            self._expected.remove((status, code))

    def install(self) -> StrictEmulators:
        refusal_watchers.append(self)
        return self

    def uninstall(self) -> None:
        if self in refusal_watchers:
            refusal_watchers.remove(self)

    def check(self) -> None:
        """Raise ``AssertionError`` listing every unexpected refusal."""
        if self.unexpected:
            lines = "\n  ".join(str(r) for r in self.unexpected)
            raise AssertionError(
                f"the emulator refused {len(self.unexpected)} request(s) the test did not "
                f"expect (strict mode, crmbridge.testing.strict):\n  {lines}"
            )

    @classmethod
    def from_marker_args(cls, specs: tuple[str, ...]) -> StrictEmulators:
        """From ``@pytest.mark.crmbridge_emulator_refusals("404", "400:uniqueness_conflict")`` args."""
        return cls(tuple(_parse(s) for s in specs))
