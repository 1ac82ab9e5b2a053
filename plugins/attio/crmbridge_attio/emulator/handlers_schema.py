"""Handlers for identity and configuration: ``/v2/self``, workspace members, objects, attributes,
select options, statuses and lists (docs/reference/attio.md §2 and §7).

``/v2/self`` has the keys of the recorded ``cassettes/self_identify.yaml``. Attribute creation takes
``data{title, description, api_slug, type, is_required, is_unique, is_multiselect, default_value,
config}``, all required (docs/reference/attio.md §2: a real 400 lists each missing one). ``/options`` on a status
attribute answers 200 with no data (docs/reference/attio.md §2, ``kesslerio/attio-mcp-server#987``).
"""

from __future__ import annotations

import re
import time
from typing import Any

from . import errors
from .attribute_rules import attribute_problems
from .handlers import Api, Call, Reply
from .schema import ATTRIBUTE_TYPES, OptionDef, Parent, StatusDef
from .seeds import add_attribute, add_list, add_object
from .store import Entry
from .stored import Stored

__all__ = ["SchemaApi"]

_SLUG = re.compile(r"[a-z][a-z0-9_]*")

SCOPES = (
    "comment:read-write list_configuration:read-write list_entry:read-write note:read-write "
    "object_configuration:read-write record_permission:read-write task:read-write "
    "user_management:read-write webhook:read-write"
)
#: Types a user cannot create (docs/reference/attio.md §3: domain, email-address, personal-name are standard
#: only; interactions are system-generated).
NOT_CREATABLE = {"domain", "email-address", "personal-name", "interaction"}
ATTRIBUTE_KEYS = (
    ("title", "string"),
    ("description", "string"),
    ("api_slug", "string"),
    ("type", "string"),
    ("is_required", "boolean"),
    ("is_unique", "boolean"),
    ("is_multiselect", "boolean"),
    ("default_value", "object"),
    ("config", "object"),
)


class SchemaApi(Api):
    def self_(self, call: Call) -> Reply:
        ws = self.ws
        member = ws.members[0]
        return Reply(
            {
                "active": True,
                "scope": SCOPES,
                "client_id": ws.client_id,
                "token_type": "Bearer",
                "exp": None,
                "iat": int(time.time()),
                "sub": ws.id,
                "aud": ws.client_id,
                "iss": "attio.com",
                "authorized_by_workspace_member_id": member.id,
                "workspace_id": ws.id,
                "workspace_name": ws.name,
                "workspace_slug": ws.slug,
                "workspace_logo_url": None,
            }
        )

    # --- workspace members ----------------------------------------------------------------------

    def members(self, call: Call) -> Reply:
        return Reply({"data": [m.render() for m in self.ws.members]})

    def member(self, call: Call, member_id: str) -> Reply:
        member = self.ws.member_by_id(member_id)
        if member is None:
            raise errors.not_found(f'Workspace member with ID "{member_id}" not found.')
        return Reply({"data": member.render()})

    # --- objects --------------------------------------------------------------------------------

    def objects(self, call: Call) -> Reply:
        return Reply({"data": [o.render() for o in self.ws.objects.values()]})

    def object_(self, call: Call, obj: str) -> Reply:
        return Reply({"data": self.object(obj).render()})

    def create_object(self, call: Call) -> Reply:
        """``POST /v2/objects`` (spec: all three keys required; 409 ``slug_conflict``)."""
        data = self.data(call, "api_slug", "singular_noun", "plural_noun")
        slug = data["api_slug"]
        if not isinstance(slug, str) or not _SLUG.fullmatch(slug):
            raise errors.body_invalid(
                [errors.zod("invalid_string", ["data", "api_slug"], "Invalid api_slug")]
            )
        nouns = {o.singular_noun for o in self.ws.objects.values()}
        nouns |= {o.plural_noun for o in self.ws.objects.values()}
        if self.ws.object(slug) is not None or {data["singular_noun"], data["plural_noun"]} & nouns:
            raise errors.slug_conflict(
                "Failed to create object. Please ensure your api_slug and names are unique.",
            )
        obj = add_object(
            self.ws, slug, str(data["singular_noun"]), str(data["plural_noun"]), call.now
        )
        return Reply({"data": obj.render()})

    def update_object(self, call: Call, obj: str) -> Reply:
        """``PATCH /v2/objects/{object}``: nouns and ``api_slug`` (references follow the slug)."""
        found = self.object(obj)
        data = self.data(call)
        keys = {"api_slug", "singular_noun", "plural_noun"} & set(data)
        if not keys:
            raise errors.AttioError(
                400,
                "invalid_request_error",
                "validation_type",
                "You passed an empty payload. Please ensure you are updating at least one "
                "property in your request.",
            )
        slug = data.get("api_slug", found.api_slug)
        if slug != found.api_slug:
            if not isinstance(slug, str) or not _SLUG.fullmatch(slug) or self.ws.object(slug):
                raise errors.slug_conflict(
                    "Failed to update object. Please ensure api_slug is unique.",
                )
            self._rename_object(found.api_slug, slug)
        if "singular_noun" in data:
            found.singular_noun = str(data["singular_noun"])
        if "plural_noun" in data:
            found.plural_noun = str(data["plural_noun"])
        return Reply({"data": found.render()})

    def _rename_object(self, old: str, new: str) -> None:
        """Record references carry the target's slug, lists their parent's: all follow."""
        ws = self.ws
        ws.objects = {(new if s == old else s): o for s, o in ws.objects.items()}
        ws.objects[new].api_slug = new
        for parent in [*ws.objects.values(), *ws.lists.values()]:
            for attribute in parent.attributes.values():
                attribute.targets = [new if t == old else t for t in attribute.targets]
            for row in ws.table(parent).rows.values():
                if isinstance(row, Entry) and row.parent_object == old:
                    row.parent_object = new
                if row.refs is not None:
                    row.refs = None  # rebuilt on demand with the new slug
                for slug in list(row.active):
                    values = row.values(slug)
                    if any(v.get("target_object") == old for v in values):
                        row.set_values(slug, [_retarget(v, old, new) for v in values])
                for values in (row.history or {}).values():
                    values[:] = [_retarget(v, old, new) for v in values]
        for lst in ws.lists.values():
            if lst.parent_object == old:
                lst.parent_object = new

    # --- attributes -----------------------------------------------------------------------------

    def attributes(self, call: Call, target: str, identifier: str) -> Reply:
        parent = self.target(target, identifier)
        limit, offset = self.paging(call.query, 10**9, None, "Query parameter")
        show_archived = self.flag(call, "show_archived")
        ids = self.ws.object_ids()
        items = [a for a in parent.attributes.values() if show_archived or not a.is_archived]
        return Reply({"data": [a.render(ids) for a in items[offset : offset + limit]]})

    def attribute_(self, call: Call, target: str, identifier: str, attribute: str) -> Reply:
        found = self.attribute(self.target(target, identifier), attribute)
        return Reply({"data": found.render(self.ws.object_ids())})

    def create_attribute(self, call: Call, target: str, identifier: str) -> Reply:
        parent = self.target(target, identifier)
        data = self.data(call)
        problems = [
            errors.required(["data", key], kind) for key, kind in ATTRIBUTE_KEYS if key not in data
        ]
        if problems:
            raise errors.body_invalid(problems)
        type_ = data["type"]
        slug = data["api_slug"]
        if type_ not in ATTRIBUTE_TYPES or type_ in NOT_CREATABLE:
            raise errors.body_invalid(
                [
                    errors.zod(
                        "invalid_enum_value", ["data", "type"], f"Invalid attribute type '{type_}'"
                    )
                ]
            )
        if not isinstance(slug, str) or not _SLUG.fullmatch(slug):
            raise errors.body_invalid(
                [errors.zod("invalid_string", ["data", "api_slug"], "Invalid api_slug")]
            )
        rules = attribute_problems(data, target)  # the spec's rules (attribute_rules.py)
        if rules:
            raise errors.body_invalid(rules)
        if slug in parent.attributes:
            kind = "object" if target == "objects" else "list"
            raise errors.slug_conflict(
                f"An attribute with the same API slug already exists on this {kind}. "
                "Please choose a different API slug.",
            )
        if data["is_unique"] and type_ in ("select", "status", "checkbox", "record-reference"):
            raise errors.body_invalid(
                [
                    errors.zod(
                        "invalid",
                        ["data", "is_unique"],
                        f"Attributes of type {type_} cannot be unique",
                    )
                ]
            )
        config = data["config"] if isinstance(data["config"], dict) else {}
        targets: list[str] = []
        if type_ == "record-reference":
            allowed = (config.get("record_reference") or {}).get("allowed_objects") or []
            for key in allowed:
                obj = self.ws.object(key)
                if obj is None:
                    raise errors.value_not_found(f'Object with slug/ID "{key}" not found.')
                targets.append(obj.api_slug)
        currency = None
        if type_ == "currency":
            currency = (config.get("currency") or {}).get("default_currency_code") or "USD"
        flags = "q" * bool(data["is_required"]) + "u" * bool(data["is_unique"])
        flags += "m" * bool(data["is_multiselect"])
        attribute = add_attribute(
            self.ws,
            parent,
            slug,
            str(data["title"]),
            type_,
            flags=flags,
            created_at=call.now,
            targets=targets,
            currency=currency,
            default=data["default_value"],
            description=data["description"],
        )
        self.ws.table(parent).unique.pop(slug, None)
        return Reply({"data": attribute.render(self.ws.object_ids())})

    def update_attribute(self, call: Call, target: str, identifier: str, attribute: str) -> Reply:
        """``PATCH …/attributes/{attribute}``: system attributes are refused with the spec's
        ``system_edit_unauthorized``; archiving hides the attribute from record values."""
        parent = self.target(target, identifier)
        found = self.attribute(parent, attribute)
        data = self.data(call)
        if found.is_system_attribute:
            raise errors.bad_request(
                "system_edit_unauthorized", "Cannot update a System attribute."
            )
        slug = data.get("api_slug")
        if slug is not None and slug != found.api_slug:
            if slug in parent.attributes:
                raise errors.slug_conflict(
                    "An attribute with the same API slug already exists. "
                    "Please choose a different API slug.",
                )
            self._rename(parent, found.api_slug, str(slug))
        for key in ("title", "description"):
            if key in data:
                setattr(found, key, data[key])
        for key in ("is_required", "is_unique", "is_archived"):
            if key in data:
                setattr(found, key, bool(data[key]))
        if "default_value" in data:
            found.default_value = data["default_value"]
        self.ws.table(parent).unique.pop(found.api_slug, None)
        parent.refresh()
        return Reply({"data": found.render(self.ws.object_ids())})

    def _rename(self, parent: Parent, old: str, new: str) -> None:
        """A new ``api_slug``: same place in the attribute order, values and history follow."""
        parent.attributes = {
            (new if slug == old else slug): attr for slug, attr in parent.attributes.items()
        }
        parent.attributes[new].api_slug = new
        table = self.ws.table(parent)
        table.unique.pop(old, None)
        for row in table.rows.values():
            if old in row.active:
                row.active[new] = row.active.pop(old)
            if row.history is not None and old in row.history:
                row.history[new] = row.history.pop(old)
            if row.refs is not None and old in row.refs:
                row.refs[new] = row.refs.pop(old)

    # --- select options and statuses ------------------------------------------------------------

    def options(self, call: Call, target: str, identifier: str, attribute: str) -> Reply:
        found = self.attribute(self.target(target, identifier), attribute)
        show_archived = self.flag(call, "show_archived")
        items = [o for o in found.options if show_archived or not o.is_archived]
        return Reply({"data": [dict(o.render(found.ids)) for o in items]})

    def create_option(self, call: Call, target: str, identifier: str, attribute: str) -> Reply:
        found = self.attribute(self.target(target, identifier), attribute)
        data = self.data(call, "title")
        if found.type != "select":
            raise errors.body_invalid(
                [errors.zod("invalid", ["data"], "This attribute is not a select attribute.")]
            )
        title = data["title"]
        if any(o.title == title for o in found.options):
            raise errors.slug_conflict(
                f'There is already another select option with the title "{title}".',
            )
        option = OptionDef(self.ws.ids.new(), str(title))
        found.options.append(option)
        return Reply({"data": dict(option.render(found.ids))})

    def update_option(
        self, call: Call, target: str, identifier: str, attribute: str, option: str
    ) -> Reply:
        found = self.attribute(self.target(target, identifier), attribute)
        data = self.data(call)
        current = found.option(option)
        if current is None:
            raise errors.value_not_found(
                f'Cannot find select attribute with select option title "{option}".'
            )
        title = data.get("title")
        if title is not None and title != current.title:
            if found.option(str(title)) is not None:
                raise errors.slug_conflict(
                    f'There is already another select option with the title "{title}".',
                )
            current.title = str(title)
            current.rendered["title"] = current.title
        if "is_archived" in data:
            current.is_archived = bool(data["is_archived"])
        return Reply({"data": dict(current.render(found.ids))})

    def statuses(self, call: Call, target: str, identifier: str, attribute: str) -> Reply:
        found = self.attribute(self.target(target, identifier), attribute)
        show_archived = self.flag(call, "show_archived")
        items = [s for s in found.statuses if show_archived or not s.is_archived]
        return Reply({"data": [dict(s.render(found.ids)) for s in items]})

    def create_status(self, call: Call, target: str, identifier: str, attribute: str) -> Reply:
        found = self.attribute(self.target(target, identifier), attribute)
        data = self.data(call, "title")
        if found.type != "status":
            raise errors.body_invalid(
                [errors.zod("invalid", ["data"], "This attribute is not a status attribute.")]
            )
        title = data["title"]
        if any(s.title == title for s in found.statuses):
            raise errors.slug_conflict(
                f'There is already another status with the title "{title}".',
            )
        status = StatusDef(
            self.ws.ids.new(),
            str(title),
            target_time_in_status=data.get("target_time_in_status"),
            celebration_enabled=bool(data.get("celebration_enabled", False)),
        )
        found.statuses.append(status)
        return Reply({"data": dict(status.render(found.ids))})

    def update_status(
        self, call: Call, target: str, identifier: str, attribute: str, status: str
    ) -> Reply:
        found = self.attribute(self.target(target, identifier), attribute)
        data = self.data(call)
        current = found.status(status)
        if current is None:
            raise errors.value_not_found(
                f'Cannot find status attribute with status option title "{status}".'
            )
        title = data.get("title")
        if title is not None and title != current.title:
            if found.status(str(title)) is not None:
                raise errors.slug_conflict(
                    f'There is already another status with the title "{title}".',
                )
            current.title = str(title)
        if "is_archived" in data:
            current.is_archived = bool(data["is_archived"])
        if "celebration_enabled" in data:
            current.celebration_enabled = bool(data["celebration_enabled"])
        if "target_time_in_status" in data:
            current.target_time_in_status = data["target_time_in_status"]
        return Reply({"data": dict(current.render(found.ids))})

    # --- lists ----------------------------------------------------------------------------------

    def lists(self, call: Call) -> Reply:
        return Reply({"data": [lst.render() for lst in self.ws.lists.values()]})

    def list_(self, call: Call, lst: str) -> Reply:
        return Reply({"data": self.list(lst).render()})

    def update_list(self, call: Call, lst: str) -> Reply:
        """``PATCH /v2/lists/{list}``: name, ``api_slug``, access."""
        found = self.list(lst)
        data = self.data(call)
        access = data.get("workspace_member_access")
        if access is not None:
            self._check_members(access)
        slug = data.get("api_slug", found.api_slug)
        if slug != found.api_slug:
            if not isinstance(slug, str) or not _SLUG.fullmatch(slug) or slug in self.ws.lists:
                raise errors.slug_conflict(
                    f'A list with api_slug "{slug}" already exists.',
                )
            self.ws.lists = {
                (slug if s == found.api_slug else s): v for s, v in self.ws.lists.items()
            }
            found.api_slug = slug
        if "name" in data:
            found.name = str(data["name"])
        if "workspace_access" in data:
            found.workspace_access = data["workspace_access"]
        if access is not None:
            found.workspace_member_access = _grants(access)
        return Reply({"data": found.render()})

    def _check_members(self, access: Any) -> None:
        if not isinstance(access, list) or not all(isinstance(a, dict) for a in access):
            raise errors.body_invalid(
                [errors.zod("invalid_type", ["data", "workspace_member_access"], "Expected array")]
            )
        for grant in access:
            member_id = grant.get("workspace_member_id")
            if self.ws.member_by_id(str(member_id)) is None:
                raise errors.value_not_found(f'Workspace member with ID "{member_id}" not found.')

    def create_list(self, call: Call) -> Reply:
        data = self.data(
            call, "name", "api_slug", "parent_object", "workspace_access", "workspace_member_access"
        )
        access = data["workspace_member_access"]
        self._check_members(access)
        parent = self.ws.object(str(data["parent_object"]))
        if parent is None:
            raise errors.not_found(
                f'Parent object with slug/ID "{data["parent_object"]}" not found.'
            )
        if data["api_slug"] in self.ws.lists:
            raise errors.slug_conflict(
                f'A list with api_slug "{data["api_slug"]}" already exists.',
            )
        lst = add_list(
            self.ws,
            str(data["api_slug"]),
            str(data["name"]),
            parent.api_slug,
            call.now,
            workspace_access=data["workspace_access"],
        )
        lst.workspace_member_access = _grants(access)
        lst.created_by_actor = self.ws.api_actor()
        return Reply({"data": lst.render()})


def _grants(access: list[dict[str, Any]]) -> list[dict[str, str]]:
    """``workspace_member_access`` in the recorded key order (``lists_list.yaml``)."""
    return [
        {
            "level": str(g.get("level", "read-and-write")),
            "workspace_member_id": str(g["workspace_member_id"]),
        }
        for g in access
    ]


def _retarget(value: Stored, old: str, new: str) -> Stored:
    """A record reference to the renamed object ``old`` carries its new slug."""
    if value.get("target_object") == old:
        return value.replaced("target_object", new)
    return value
