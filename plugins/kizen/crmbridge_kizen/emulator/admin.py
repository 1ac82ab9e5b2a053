"""Schema and team endpoints beside the record API: adding one option to a field, and the team.

* ``POST /api/custom-objects/{object_id}/fields/{field_id}/options`` with ``{"name": label}`` adds
  one option and answers it as ``{id, code, name}`` (201). Options are added one at a time; PATCHing
  a field's ``options`` array replaces them all (docs/reference/kizen.md §11; kizen/kizen-admin-cli
  ``api/custom_objects.py``). A label the field already has (case-insensitively, as
  :meth:`FieldDef.option_named` matches them) is refused with 400, as is a field without options.
* ``GET /api/team``: the business's employees, an unpaginated array by default
  (docs/reference/kizen.md §8), in the shape of ``team_selector`` values (:meth:`Employee.read`).

Added by engineer "lossless" for issue 23 (migrations create options; users pair by e-mail); the
Kizen emulator is engineer "kizen"'s.
"""

from __future__ import annotations

import httpx

from .errors import bad_param, not_found
from .handlers import Handlers, Result
from .schema import MULTI_OPTION_TYPES, SINGLE_OPTION_TYPES, OptionDef, option_id

__all__ = ["add_option", "list_team"]


def add_option(h: Handlers, object_id: str, field_id: str, request: httpx.Request) -> Result:
    state = h.store.by_object_id.get(object_id)
    field = state.obj.field_by_id(field_id) if state is not None else None
    if state is None or field is None:
        raise not_found()
    if field.field_type not in SINGLE_OPTION_TYPES | MULTI_OPTION_TYPES:
        raise bad_param("name", f"A {field.field_type} field has no options.")
    name = h.body(request).get("name")
    if not isinstance(name, str) or not name.strip():
        raise bad_param("name")
    if field.option_named(name) is not None:
        raise bad_param("name", f'An option named "{name}" already exists.')
    option = OptionDef(option_id(state.obj.name, field.name, name), name, name)
    field.add_option(option)
    return 201, option.read()


def list_team(h: Handlers) -> Result:
    return 200, [e.read() for e in h.store.employees.values() if not e.deleted]
