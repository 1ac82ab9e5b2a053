"""The workspace's configuration: objects, lists, attributes, select options, statuses, members.

Each class renders itself in the API's shape. The attribute body (every key, ``config`` with both
``currency`` and ``record_reference`` always present, ``relationship`` with the inverse attribute's
``object_slug``/``api_slug``/``is_multiselect``/``title``) follows the recorded
``cassettes/attributes_list_people.yaml``; options and statuses follow
``cassettes/statuses_list_deals_stage.yaml`` and the spec's ``select-option``/``status`` schemas;
lists follow ``cassettes/lists_list.yaml``; objects ``cassettes/objects_list.yaml``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "ATTRIBUTE_TYPES",
    "AttributeDef",
    "ListDef",
    "MemberDef",
    "ObjectDef",
    "OptionDef",
    "Parent",
    "StatusDef",
]

#: The 17 attribute types (spec ``attribute.type`` enum).
ATTRIBUTE_TYPES = (
    "text",
    "number",
    "checkbox",
    "currency",
    "date",
    "timestamp",
    "rating",
    "status",
    "select",
    "record-reference",
    "actor-reference",
    "location",
    "domain",
    "email-address",
    "phone-number",
    "interaction",
    "personal-name",
)


@dataclass(slots=True)
class OptionDef:
    """A select option (spec ``select-option``)."""

    id: str
    title: str
    is_archived: bool = False
    rendered: dict[str, Any] = field(default_factory=dict)

    def render(self, ids: dict[str, str]) -> dict[str, Any]:
        if not self.rendered:
            self.rendered.update(
                {"id": {**ids, "option_id": self.id}, "title": self.title, "is_archived": False}
            )
        self.rendered["is_archived"] = self.is_archived
        return self.rendered


@dataclass(slots=True)
class StatusDef:
    """A status (spec ``status``; key order as in ``statuses_list_deals_stage.yaml``)."""

    id: str
    title: str
    is_archived: bool = False
    target_time_in_status: str | None = None
    celebration_enabled: bool = False
    rendered: dict[str, Any] = field(default_factory=dict)

    def render(self, ids: dict[str, str]) -> dict[str, Any]:
        self.rendered.clear()
        self.rendered.update(
            {
                "id": {**ids, "status_id": self.id},
                "title": self.title,
                "is_archived": self.is_archived,
                "target_time_in_status": self.target_time_in_status,
                "celebration_enabled": self.celebration_enabled,
            }
        )
        return self.rendered


@dataclass(slots=True, eq=False)
class AttributeDef:
    """One attribute of an object or a list."""

    id: str
    parent: Parent
    api_slug: str
    title: str
    type: str
    created_at: str
    description: str | None = None
    is_system_attribute: bool = False
    is_writable: bool = True
    is_required: bool = False
    is_unique: bool = False
    is_multiselect: bool = False
    is_archived: bool = False
    default_value: dict[str, Any] | None = None
    #: Allowed target object slugs for record-reference attributes.
    targets: list[str] = field(default_factory=list)
    #: The inverse attribute of a relationship (record-reference pairs, docs/reference/attio.md §3).
    inverse: AttributeDef | None = None
    default_currency_code: str | None = None
    currency_display_type: str | None = None
    options: list[OptionDef] = field(default_factory=list)
    statuses: list[StatusDef] = field(default_factory=list)

    @property
    def ids(self) -> dict[str, str]:
        return {
            "workspace_id": self.parent.workspace_id,
            "object_id": self.parent.id,
            "attribute_id": self.id,
        }

    def render(self, object_ids: dict[str, str]) -> dict[str, Any]:
        """The attribute body; ``object_ids`` maps target slugs to object ids."""
        relationship = None
        if self.inverse is not None:
            inv = self.inverse
            relationship = {
                "id": inv.ids,
                "object_slug": inv.parent.api_slug,
                "api_slug": inv.api_slug,
                "is_multiselect": inv.is_multiselect,
                "title": inv.title,
            }
        allowed = [object_ids[t] for t in self.targets if t in object_ids] if self.targets else None
        return {
            "id": self.ids,
            "title": self.title,
            "description": self.description,
            "api_slug": self.api_slug,
            "type": self.type,
            "is_system_attribute": self.is_system_attribute,
            "is_writable": self.is_writable,
            "is_required": self.is_required,
            "is_unique": self.is_unique,
            "is_multiselect": self.is_multiselect,
            "is_default_value_enabled": self.default_value is not None,
            "is_archived": self.is_archived,
            "default_value": self.default_value,
            "relationship": relationship,
            "created_at": self.created_at,
            "config": {
                "currency": {
                    "default_currency_code": self.default_currency_code,
                    "display_type": self.currency_display_type,
                },
                "record_reference": {"allowed_object_ids": allowed},
            },
        }

    def option(self, key: str) -> OptionDef | None:
        """The option whose title or id is ``key`` (writes and filters accept both)."""
        for option in self.options:
            if option.title == key or option.id == key:
                return option
        return None

    def status(self, key: str) -> StatusDef | None:
        for status in self.statuses:
            if status.title == key or status.id == key:
                return status
        return None


@dataclass(slots=True)
class Parent:
    """What objects and lists share: an id, a slug and ordered attributes."""

    id: str
    workspace_id: str
    api_slug: str
    created_at: str
    attributes: dict[str, AttributeDef] = field(default_factory=dict)
    #: Visible (non-archived) attribute slugs in UI order; rebuilt on attribute changes.
    visible: list[str] = field(default_factory=list)
    #: Required, non-archived attributes (checked on every write).
    required: list[AttributeDef] = field(default_factory=list)

    def attribute(self, key: str) -> AttributeDef | None:
        """By slug or id (the API accepts both everywhere)."""
        found = self.attributes.get(key)
        if found is not None:
            return found
        for attribute in self.attributes.values():
            if attribute.id == key:
                return attribute
        return None

    def add(self, attribute: AttributeDef) -> None:
        self.attributes[attribute.api_slug] = attribute
        self.refresh()

    def refresh(self) -> None:
        live = [a for a in self.attributes.values() if not a.is_archived]
        self.visible = [a.api_slug for a in live]
        self.required = [a for a in live if a.is_required]


@dataclass(slots=True)
class ObjectDef(Parent):
    """An object (spec ``object``)."""

    singular_noun: str = ""
    plural_noun: str = ""

    def render(self) -> dict[str, Any]:
        return {
            "id": {"workspace_id": self.workspace_id, "object_id": self.id},
            "api_slug": self.api_slug,
            "singular_noun": self.singular_noun,
            "plural_noun": self.plural_noun,
            "created_at": self.created_at,
        }


@dataclass(slots=True)
class ListDef(Parent):
    """A list (spec ``list``; key order as in ``lists_list.yaml``)."""

    name: str = ""
    parent_object: str = ""
    workspace_access: str | None = "full-access"
    workspace_member_access: list[dict[str, str]] = field(default_factory=list)
    created_by_actor: dict[str, str | None] = field(default_factory=dict)

    def render(self) -> dict[str, Any]:
        return {
            "id": {"workspace_id": self.workspace_id, "list_id": self.id},
            "api_slug": self.api_slug,
            "created_at": self.created_at,
            "name": self.name,
            "workspace_access": self.workspace_access,
            "workspace_member_access": self.workspace_member_access,
            "parent_object": [self.parent_object],
            "created_by_actor": self.created_by_actor,
        }


@dataclass(slots=True)
class MemberDef:
    """A workspace member (spec ``workspace-member``)."""

    id: str
    workspace_id: str
    first_name: str
    last_name: str
    email_address: str
    created_at: str
    access_level: str = "admin"
    avatar_url: str | None = None

    def render(self) -> dict[str, Any]:
        return {
            "id": {"workspace_id": self.workspace_id, "workspace_member_id": self.id},
            "first_name": self.first_name,
            "last_name": self.last_name,
            "avatar_url": self.avatar_url,
            "email_address": self.email_address,
            "created_at": self.created_at,
            "access_level": self.access_level,
        }


#: The pseudo-attribute of a list entry that leads to its parent record in path filters
#: (docs/reference/attio.md §4: "lists use ``["<list>", "parent_record"]``").
LIST_PARENT_RECORD = "parent_record"
