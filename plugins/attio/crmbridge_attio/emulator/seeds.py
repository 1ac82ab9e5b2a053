"""The standard objects of every Attio workspace and their standard attributes.

``people`` is the recorded ``cassettes/attributes_list_people.yaml`` minus that workspace's custom
attributes (same slugs, titles, types, flags, defaults, relationship and order). ``companies`` follows
the attributes seen in ``cassettes/companies_query.yaml`` (again minus the custom ones);
``deals.stage`` has the statuses of ``cassettes/statuses_list_deals_stage.yaml``. ``deals``,
``users`` and ``workspaces`` follow Attio's standard-objects documentation as summarised in
docs/reference/attio.md §2-§3. Relationship pairs: people.company ↔ companies.team,
people.associated_deals ↔ deals.associated_people, companies.associated_deals ↔
deals.associated_company, users.workspace ↔ workspaces.users.
"""

from __future__ import annotations

from typing import Any

from .schema import AttributeDef, ListDef, MemberDef, ObjectDef, OptionDef, Parent, StatusDef
from .store import Workspace

__all__ = [
    "SCHEMA_CREATED_AT",
    "add_attribute",
    "add_list",
    "add_object",
    "install_standard",
    "standard_attributes",
]

#: ``created_at`` of the standard objects and attributes (fixed: the seed is reproducible).
SCHEMA_CREATED_AT = "2025-11-03T18:16:13.223000000Z"

_INTERACTIONS = [
    ("first_calendar_interaction", "First calendar interaction"),
    ("last_calendar_interaction", "Last calendar interaction"),
    ("next_calendar_interaction", "Next calendar interaction"),
    ("first_email_interaction", "First email interaction"),
    ("last_email_interaction", "Last email interaction"),
    ("first_interaction", "First interaction"),
    ("last_interaction", "Last interaction"),
    ("next_interaction", "Next interaction"),
]
_SOCIAL = [
    ("angellist", "AngelList"),
    ("facebook", "Facebook"),
    ("instagram", "Instagram"),
    ("linkedin", "LinkedIn"),
    ("twitter", "Twitter"),
]
CONNECTION_STRENGTHS = ["Very weak", "Weak", "Good", "Strong", "Very strong"]
CATEGORIES = [
    "B2B",
    "B2C",
    "SAAS",
    "E-commerce",
    "Mobile",
    "Technology",
    "Information Technology & Services",
    "Software",
    "Finance",
    "Health Care",
    "Education",
    "Marketing & Advertising",
    "Retail",
    "Manufacturing",
    "Consulting",
    "Media",
    "Real Estate",
    "Logistics",
    "Internet",
    "Enterprise",
]
ESTIMATED_ARR = [
    "$0-$1M",
    "$1M-$10M",
    "$10M-$50M",
    "$50M-$100M",
    "$100M-$250M",
    "$250M-$500M",
    "$500M-$1B",
    "$1B-$10B",
    "$10B+",
]
EMPLOYEE_RANGES = [
    "1-10",
    "11-50",
    "51-250",
    "251-1K",
    "1K-5K",
    "5K-10K",
    "10K-50K",
    "50K-100K",
    "100K+",
]
DEAL_STAGES = [
    "Discovery",
    "Solution Definition",
    "Proposal",
    "Negotiation",
    "Closed Won",
    "Closed Lost",
]

#: (slug, title, type, flags, extras). Flags: s=system, r=read-only, q=required, u=unique,
#: m=multiselect. Extras: targets, options, statuses, currency, default, description.
Spec = tuple[str, str, str, str, dict[str, Any]]


def _head() -> list[Spec]:
    return [("record_id", "Record ID", "text", "sru", {})]


def _tail() -> list[Spec]:
    return [
        (
            "created_at",
            "Created at",
            "timestamp",
            "sr",
            {"default": {"type": "dynamic", "template": "PT0S"}},
        ),
        (
            "created_by",
            "Created by",
            "actor-reference",
            "sr",
            {"default": {"type": "dynamic", "template": "current-user"}},
        ),
    ]


def _connections() -> list[Spec]:
    return [
        *[(slug, title, "interaction", "sr", {}) for slug, title in _INTERACTIONS],
        (
            "strongest_connection_strength_legacy",
            "Connection strength (legacy)",
            "number",
            "sr",
            {},
        ),
        (
            "strongest_connection_strength",
            "Connection strength",
            "select",
            "sr",
            {"options": CONNECTION_STRENGTHS},
        ),
        ("strongest_connection_user", "Strongest connection", "actor-reference", "sr", {}),
    ]


STANDARD: dict[str, tuple[str, str, list[Spec]]] = {
    "people": (
        "Person",
        "People",
        [
            *_head(),
            ("name", "Name", "personal-name", "s", {}),
            ("email_addresses", "Email addresses", "email-address", "sum", {}),
            ("description", "Description", "text", "s", {}),
            ("company", "Company", "record-reference", "s", {"targets": ["companies"]}),
            ("job_title", "Job title", "text", "s", {}),
            ("avatar_url", "Avatar URL", "text", "sr", {}),
            ("phone_numbers", "Phone numbers", "phone-number", "sm", {}),
            ("primary_location", "Primary location", "location", "s", {}),
            *[(slug, title, "text", "s", {}) for slug, title in _SOCIAL],
            ("twitter_follower_count", "Twitter follower count", "number", "sr", {}),
            *_connections(),
            (
                "associated_deals",
                "Associated deals",
                "record-reference",
                "sm",
                {
                    "targets": ["deals"],
                    "description": "Deal records associated with a Person record",
                },
            ),
            *_tail(),
        ],
    ),
    "companies": (
        "Company",
        "Companies",
        [
            *_head(),
            ("domains", "Domains", "domain", "sum", {}),
            ("name", "Name", "text", "s", {}),
            ("description", "Description", "text", "s", {}),
            ("team", "Team", "record-reference", "sm", {"targets": ["people"]}),
            ("categories", "Categories", "select", "sm", {"options": CATEGORIES}),
            ("primary_location", "Primary location", "location", "s", {}),
            ("logo_url", "Logo URL", "text", "sr", {}),
            *[(slug, title, "text", "s", {}) for slug, title in _SOCIAL],
            ("twitter_follower_count", "Twitter follower count", "number", "sr", {}),
            ("estimated_arr_usd", "Estimated ARR", "select", "s", {"options": ESTIMATED_ARR}),
            ("funding_raised_usd", "Funding raised", "currency", "s", {"currency": "USD"}),
            ("foundation_date", "Foundation date", "date", "s", {}),
            ("employee_range", "Employee range", "select", "s", {"options": EMPLOYEE_RANGES}),
            *_connections(),
            (
                "associated_deals",
                "Associated deals",
                "record-reference",
                "sm",
                {
                    "targets": ["deals"],
                    "description": "Deal records associated with a Company record",
                },
            ),
            *_tail(),
        ],
    ),
    "deals": (
        "Deal",
        "Deals",
        [
            *_head(),
            ("name", "Deal name", "text", "sq", {}),
            ("stage", "Deal stage", "status", "sq", {"statuses": DEAL_STAGES}),
            ("owner", "Deal owner", "actor-reference", "sq", {}),
            ("value", "Deal value", "currency", "s", {"currency": "USD"}),
            (
                "associated_people",
                "Associated people",
                "record-reference",
                "sm",
                {"targets": ["people"]},
            ),
            (
                "associated_company",
                "Associated company",
                "record-reference",
                "s",
                {"targets": ["companies"]},
            ),
            *_tail(),
        ],
    ),
    "users": (
        "User",
        "Users",
        [
            *_head(),
            ("person", "Person", "record-reference", "s", {"targets": ["people"]}),
            ("primary_email_address", "Primary email address", "email-address", "squ", {}),
            ("user_id", "ID", "text", "squ", {}),
            ("workspace", "Workspace", "record-reference", "sm", {"targets": ["workspaces"]}),
            *_tail(),
        ],
    ),
    "workspaces": (
        "Workspace",
        "Workspaces",
        [
            *_head(),
            ("workspace_id", "Workspace ID", "text", "squ", {}),
            ("name", "Name", "text", "s", {}),
            ("users", "Users", "record-reference", "sm", {"targets": ["users"]}),
            ("company", "Company", "record-reference", "s", {"targets": ["companies"]}),
            ("avatar_url", "Avatar URL", "text", "sr", {}),
            *_tail(),
        ],
    ),
}


def standard_attributes() -> list[Spec]:
    """The system attributes of every object (custom ones too): record_id, created_at, created_by."""
    return [*_head(), *_tail()]


RELATIONSHIPS = [
    (("people", "company"), ("companies", "team")),
    (("people", "associated_deals"), ("deals", "associated_people")),
    (("companies", "associated_deals"), ("deals", "associated_company")),
    (("users", "workspace"), ("workspaces", "users")),
]


def add_attribute(
    ws: Workspace,
    parent: Parent,
    api_slug: str,
    title: str,
    type_: str,
    *,
    flags: str = "",
    created_at: str = SCHEMA_CREATED_AT,
    targets: list[str] | None = None,
    options: list[str] | None = None,
    statuses: list[str] | None = None,
    currency: str | None = None,
    default: dict[str, Any] | None = None,
    description: str | None = None,
) -> AttributeDef:
    """Add an attribute to an object or list (used by the seeds, the API handler and tests)."""
    attribute = AttributeDef(
        id=ws.ids.new(),
        parent=parent,
        api_slug=api_slug,
        title=title,
        type=type_,
        created_at=created_at,
        description=description,
        is_system_attribute="s" in flags,
        is_writable="r" not in flags,
        is_required="q" in flags,
        is_unique="u" in flags,
        is_multiselect="m" in flags,
        default_value=default,
        targets=list(targets or []),
        default_currency_code=currency,
        currency_display_type="symbol" if currency else None,
    )
    attribute.options = [OptionDef(ws.ids.new(), t) for t in options or ()]
    attribute.statuses = [StatusDef(ws.ids.new(), t) for t in statuses or ()]
    parent.add(attribute)
    return attribute


def install_standard(ws: Workspace) -> None:
    """Create the workspace member, the five standard objects and their attributes."""
    ws.members.append(
        MemberDef(
            id=ws.ids.new(),
            workspace_id=ws.id,
            first_name="Ada",
            last_name="Emulator",
            email_address="ada@crmbridge.test",
            created_at=SCHEMA_CREATED_AT,
            access_level="admin",
        )
    )
    for slug, (singular, plural, specs) in STANDARD.items():
        obj = ObjectDef(
            id=ws.ids.new(),
            workspace_id=ws.id,
            api_slug=slug,
            created_at=SCHEMA_CREATED_AT,
            singular_noun=singular,
            plural_noun=plural,
        )
        ws.objects[slug] = obj
        for attr_slug, title, type_, flags, extra in specs:
            add_attribute(
                ws,
                obj,
                attr_slug,
                title,
                type_,
                flags=flags,
                targets=extra.get("targets"),
                options=extra.get("options"),
                statuses=extra.get("statuses"),
                currency=extra.get("currency"),
                default=extra.get("default"),
                description=extra.get("description"),
            )
    for (a_obj, a_slug), (b_obj, b_slug) in RELATIONSHIPS:
        a = ws.objects[a_obj].attributes[a_slug]
        b = ws.objects[b_obj].attributes[b_slug]
        a.inverse, b.inverse = b, a


def add_object(
    ws: Workspace, api_slug: str, singular_noun: str, plural_noun: str, created_at: str
) -> ObjectDef:
    """A custom object with the system attributes every object has."""
    obj = ObjectDef(
        id=ws.ids.new(),
        workspace_id=ws.id,
        api_slug=api_slug,
        created_at=created_at,
        singular_noun=singular_noun,
        plural_noun=plural_noun,
    )
    ws.objects[api_slug] = obj
    for slug, title, type_, flags, extra in standard_attributes():
        add_attribute(ws, obj, slug, title, type_, flags=flags, default=extra.get("default"))
    return obj


def add_list(
    ws: Workspace,
    api_slug: str,
    name: str,
    parent_object: str,
    created_at: str = SCHEMA_CREATED_AT,
    workspace_access: str | None = "full-access",
) -> ListDef:
    """A list with its system attributes ``entry_id``, ``created_at``, ``created_by``
    (docs/reference/attio.md §2 "System attributes seen in every record … lists")."""
    member = ws.members[0]
    lst = ListDef(
        id=ws.ids.new(),
        workspace_id=ws.id,
        api_slug=api_slug,
        created_at=created_at,
        name=name,
        parent_object=parent_object,
        workspace_access=workspace_access,
        workspace_member_access=[{"level": "full-access", "workspace_member_id": member.id}],
        created_by_actor={"type": "workspace-member", "id": member.id},
    )
    ws.lists[api_slug] = lst
    add_attribute(ws, lst, "entry_id", "Entry ID", "text", flags="sru", created_at=created_at)
    for slug, title, type_, flags, extra in _tail():
        add_attribute(
            ws,
            lst,
            slug,
            title,
            type_,
            flags=flags,
            default=extra.get("default"),
            created_at=created_at,
        )
    return lst
