"""What every handler shares: the parsed request (:class:`Call`), the answer (:class:`Reply`),
lookups that raise Attio's 404s, and body/paging helpers.

404 messages are the spec's examples for each endpoint (``attio-openapi.json``); the body error for a
missing ``data.values`` is the recorded ``errors/rbeene_400_validation_type_missing_values.json``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import errors
from .schema import AttributeDef, ListDef, ObjectDef, Parent
from .store import Workspace
from .writes import Writer

__all__ = ["Api", "Call", "Reply"]


@dataclass(slots=True)
class Call:
    """One request, parsed."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    now: str


@dataclass(slots=True)
class Reply:
    body: Any
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


class Api:
    """Base of the handler groups: the workspace, the writer and common lookups."""

    def __init__(self, workspace: Workspace) -> None:
        self.ws = workspace
        self.writer = Writer(workspace)

    # --- lookups ------------------------------------------------------------------------------

    def object(self, key: str) -> ObjectDef:
        found = self.ws.object(key)
        if found is None:
            raise errors.not_found(f'Object with slug/ID "{key}" not found.')
        return found

    def list(self, key: str) -> ListDef:
        found = self.ws.list(key)
        if found is None:
            raise errors.not_found(f'Could not find list with slug/ID "{key}".')
        return found

    def target(self, target: str, identifier: str) -> Parent:
        """``/v2/{target}/{identifier}``: an object or a list."""
        if target == "objects":
            return self.object(identifier)
        return self.list(identifier)

    def attribute(self, parent: Parent, key: str) -> AttributeDef:
        found = parent.attribute(key)
        if found is None:
            raise errors.not_found(f'Attribute with slug/ID "{key}" not found.')
        return found

    # --- bodies and paging ----------------------------------------------------------------------

    @staticmethod
    def data(call: Call, *required: str) -> dict[str, Any]:
        """``body["data"]`` with ``required`` keys present, else the recorded zod error."""
        body = call.body
        if not isinstance(body, dict) or not isinstance(body.get("data"), dict):
            received = (
                "undefined"
                if not isinstance(body, dict) or "data" not in body
                else errors.type_name(body["data"])
            )
            raise errors.body_invalid(
                [
                    errors.zod(
                        "invalid_type",
                        ["data"],
                        "Required"
                        if received == "undefined"
                        else f"Expected object, received {received}",
                        expected="object",
                        received=received,
                    )
                ]
            )
        data: dict[str, Any] = body["data"]
        missing = [errors.required(["data", key], "object") for key in required if key not in data]
        if missing:
            raise errors.body_invalid(missing)
        return data

    @staticmethod
    def paging(
        source: dict[str, Any], default_limit: int, max_limit: int | None, where: str
    ) -> tuple[int, int]:
        """``limit``/``offset`` from query params (strings) or a query body (numbers)."""
        result = []
        for name, default in (("limit", default_limit), ("offset", 0)):
            raw = source.get(name, default)
            if isinstance(raw, str):
                try:
                    raw = int(raw)
                except ValueError:
                    raw = None
            if isinstance(raw, float) and raw.is_integer():
                raw = int(raw)
            if (
                isinstance(raw, bool)
                or not isinstance(raw, int)
                or raw < (1 if name == "limit" else 0)
            ):
                raise errors.AttioError(
                    400,
                    "invalid_request_error",
                    "validation_type",
                    f"{where} validation error.",
                    [
                        errors.zod(
                            "invalid_type",
                            [name],
                            "Expected non-negative integer",
                            expected="number",
                            received=errors.type_name(raw),
                        )
                    ],
                )
            result.append(raw)
        limit, offset = result
        if max_limit is not None:
            limit = min(limit, max_limit)
        return limit, offset

    @staticmethod
    def flag(call: Call, name: str) -> bool:
        return call.query.get(name, "false").lower() == "true"
