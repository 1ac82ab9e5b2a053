"""Schema and team endpoints beside the record API: field settings, dynamic tags, adding one option
to a field, and the team.

* ``GET /api/custom-objects/{object_id}/fields/settings-search``: the fields with ``is_default``
  (which ``…/fields`` does not carry) and their inline options (kizen/kizen-admin-cli
  ``api/schema.py``, the endpoint of Kizen's filter builder; docs/reference/kizen.md §3).
* Dynamic tags are not options of their field's metadata; they are listed, paginated and searched
  by name, at ``GET /api/client/fields/{field_id}/tags`` for contacts and
  ``GET /api/pipelines/{object_id}/fields/{field_id}/tags`` for every other object (kizen-admin-cli
  ``api/schema.py`` ``get_field_tags``; docs/reference/kizen.md §3). Each tag reads ``{id, name}``.
  A contact tag field under ``/api/pipelines/…``, or another object's under ``/api/client/…``, is
  a 404.
* ``POST /api/custom-objects/{object_id}/fields/{field_id}/options`` with ``{"name": label}`` adds
  one option and answers it as ``{id, code, name}`` (201). Options are added one at a time; PATCHing
  a field's ``options`` array replaces them all (docs/reference/kizen.md §11; kizen/kizen-admin-cli
  ``api/custom_objects.py`` ``add_field_option``, payload ``{"name", "order"?, "meta"?}``). Refused
  with 400: a label the field already has (case-insensitively, as :meth:`FieldDef.option_named`
  matches them), a blank or non-string name, a field without options, dynamic tags (created by
  writing ``{"name"}``, listed by the tag endpoints), the pipeline ``stage`` (stages are their own
  resource, ``/api/pipelines/{object}/stages``: kizen-admin-cli ``api/pipelines.py``), and the fixed
  Email Status of contacts.
* ``POST /api/pipelines/{object_id}/stages`` with ``{"name", "status", "order"}`` (all required)
  adds a stage to a pipeline object (kizen-admin-cli ``api/pipelines.py`` ``create_stage``) and
  answers it as ``{id, name, status, order}`` (201); ``status`` is one of the stage statuses.
* ``GET /api/team``: the business's employees, an unpaginated array by default
  (docs/reference/kizen.md §8), in the shape of ``team_selector`` values (:meth:`Employee.read`).

Options and the team were added by engineer "lossless" for issue 23; settings, tags and the option
refusals by engineer "kizen" for issue 17.
"""

from __future__ import annotations

import httpx

from .catalog import STAGE_STATUSES
from .errors import bad_param, not_found
from .handlers import Handlers, Result
from .metadata import field_metadata
from .pagination import PageRequest
from .schema import FieldDef, OptionDef, option_id
from .store import ObjectState

__all__ = ["add_option", "add_stage", "field_tags", "list_team", "settings_search"]

#: Field types whose options this endpoint adds to.
_OPTION_TYPES = frozenset({"dropdown", "radio", "status", "choices", "selector", "checkboxes"})
#: Default fields whose options are fixed by Kizen.
_FIXED = frozenset({"stage", "email_status"})


def _field(h: Handlers, object_id: str, field_id: str) -> tuple[ObjectState, FieldDef]:
    state = h.store.by_object_id.get(object_id)
    field = state.obj.field_by_id(field_id) if state is not None else None
    if state is None or field is None:
        raise not_found()
    return state, field


def settings_search(h: Handlers, object_id: str) -> Result:
    state = h.store.by_object_id.get(object_id)
    if state is None:
        raise not_found()
    obj = state.obj
    return 200, [field_metadata(obj, f, h.store, settings=True) for f in obj.fields]


def field_tags(h: Handlers, object_id: str | None, field_id: str, request: httpx.Request) -> Result:
    """``object_id`` is ``None`` on the contacts route."""
    if object_id is None:
        state = h.object("client_client")
        field = state.obj.field_by_id(field_id)
        if field is None:
            raise not_found()
    else:
        state, field = _field(h, object_id, field_id)
        if state.obj.is_contacts:
            raise not_found()
    if field.field_type != "dynamictags":
        raise not_found()
    text = (request.url.params.get("search") or "").casefold()
    tags = [o for o in field.options or () if text in o.name.casefold()]
    if request.url.params.get("ordering", "").lstrip("-") == "name":
        tags.sort(key=lambda o: o.name.casefold(), reverse=request.url.params["ordering"][0] == "-")
    page = PageRequest(request.url)
    shown = tags[page.window(len(tags))]
    return 200, page.envelope(len(tags), [{"id": o.id, "name": o.name} for o in shown])


def add_option(h: Handlers, object_id: str, field_id: str, request: httpx.Request) -> Result:
    state, field = _field(h, object_id, field_id)
    if field.field_type not in _OPTION_TYPES or (field.is_default and field.name in _FIXED):
        raise bad_param("name", f'The options of "{field.name}" cannot be added to here.')
    name = h.body(request).get("name")
    if not isinstance(name, str) or not name.strip():
        raise bad_param("name")
    if len(name) > 255:
        raise bad_param("name", "Ensure this field has no more than 255 characters.")
    if field.option_named(name) is not None:
        raise bad_param("name", f'An option named "{name}" already exists.')
    option = OptionDef(option_id(state.obj.name, field.name, name), name, name)
    field.add_option(option)
    return 201, option.read()


def add_stage(h: Handlers, object_id: str, request: httpx.Request) -> Result:
    state = h.store.by_object_id.get(object_id)
    stage = state.obj.field_by_name("stage") if state is not None else None
    if state is None or stage is None or state.obj.object_type != "pipeline":
        raise not_found()
    body = h.body(request)
    name, status, order = body.get("name"), body.get("status"), body.get("order")
    for key, value in (("name", name), ("status", status), ("order", order)):
        if value is None:
            raise bad_param(key)
    if not isinstance(name, str) or not name.strip():
        raise bad_param("name", "This field may not be blank.")
    if status not in STAGE_STATUSES:
        raise bad_param("status", f'"{status}" is not a valid choice.')
    if not isinstance(order, int) or isinstance(order, bool):
        raise bad_param("order", "A valid integer is required.")
    if stage.option_named(name) is not None:
        raise bad_param("name", f'A stage named "{name}" already exists.')
    code = name.strip().lower().replace(" ", "_")
    option = OptionDef(option_id(state.obj.name, "stage", name), name, code, status=status,
                       order=order)  # fmt: skip
    stage.add_option(option)
    return 201, {"id": option.id, "name": option.name, "status": status, "order": order}


def list_team(h: Handlers) -> Result:
    return 200, [e.read() for e in h.store.employees.values() if not e.deleted]
