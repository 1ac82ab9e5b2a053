"""The standard seed: the business every emulator starts with (``seed=None``).

It is what ``crmbridge demo`` migrates Attio people and companies into, so it mirrors a fresh Kizen
business plus the custom fields such a migration fills (documented in docs/emulators/kizen.md):

* ``client_client`` (Contacts): the contact default fields of the live field list (
  :data:`.catalog.CONTACT_DEFAULT_FIELDS`, with ``company_primary`` and ``company_additional`` to
  companies), plus ``deals`` (the other side of the deals' custom many-to-many ``contacts``);
* ``companies_company`` (Companies; the standard object's api name from the live contacts fixture,
  docs/reference/kizen.md §3): default fields plus ``domain``, ``website``, ``description``, ``industry``,
  ``categories``, ``employee_count``, ``annual_revenue``, ``phone``, ``linkedin``, and the inverse
  sides ``contacts`` and ``deals``;
* ``deals`` (Deals): a pipeline object with ``stage`` and the workflow default fields;
* ``projects`` (Projects): a custom object that, with the others, covers all 24 field types.

Field ids are ``uuid5`` of ``("field", object, name)`` (:func:`.schema.field_id`), stable across runs.
"""

from __future__ import annotations

from .catalog import (
    CONTACT_COMPANY_FIELDS,
    CONTACT_DEFAULT_FIELDS,
    make_field,
    new_contacts_object,
    new_object,
    relate,
)
from .ids import stable_id
from .schema import Employee
from .store import Store

__all__ = ["INDUSTRIES", "STANDARD_EMPLOYEES", "build_standard"]

INDUSTRIES = (
    "Software", "Financial Services", "Healthcare", "Manufacturing", "Retail", "Education",
    "Media", "Energy", "Logistics", "Consulting",
)  # fmt: skip
CATEGORIES = ("B2B", "B2C", "SaaS", "Enterprise", "SMB", "Startup", "Nonprofit", "Public Sector")
#: Team members besides the API user: ``(first, last, email)``.
STANDARD_EMPLOYEES = (
    ("Grace", "Hopper", "grace@example.com"),
    ("Alan", "Turing", "alan@example.com"),
    ("Katherine", "Johnson", "katherine@example.com"),
)
DEAL_STAGES = (
    ("New Lead", "open"),
    ("Qualified", "open"),
    ("Proposal", "open"),
    ("Won", "won"),
    ("Lost", "lost"),
)


def build_standard(store: Store, api_user_id: str) -> None:
    """Populate ``store`` with the standard objects and team (no records)."""
    store.employees[api_user_id] = Employee(api_user_id, "API", "User", "api-user@example.com")
    for first, last, email in STANDARD_EMPLOYEES:
        employee_id = stable_id("employee", email)
        store.employees[employee_id] = Employee(employee_id, first, last, email)

    contacts = new_contacts_object()
    companies = new_object(
        "companies_company", "Companies", "Company", is_custom=False, name_label="Company Name"
    )
    make_field(companies, "domain", "text", display_name="Domain")
    make_field(companies, "website", "text", display_name="Website")
    make_field(companies, "description", "longtext", display_name="Description")
    make_field(companies, "industry", "dropdown", display_name="Industry", options=INDUSTRIES)
    make_field(companies, "categories", "checkboxes", display_name="Categories", options=CATEGORIES)
    make_field(companies, "employee_count", "integer", display_name="Employee Count")
    make_field(companies, "annual_revenue", "money", display_name="Annual Revenue")
    make_field(companies, "phone", "phonenumber", display_name="Phone")
    make_field(companies, "linkedin", "text", display_name="LinkedIn")
    for name, label, kind, inverse, inverse_label in CONTACT_COMPANY_FIELDS:
        relate(contacts, name, companies, inverse, kind, a_label=label, b_label=inverse_label,
               is_default=True)  # fmt: skip
    # the live list has the company relationships after the phones
    place = [n for n, *_ in CONTACT_DEFAULT_FIELDS]
    place[place.index("home_phone") + 1 : place.index("home_phone") + 1] = [
        n for n, *_ in CONTACT_COMPANY_FIELDS
    ]
    contacts.fields.sort(key=lambda f: place.index(f.name) if f.name in place else len(place))
    for order, field in enumerate(contacts.fields):
        field.order = order

    deals = new_object("deals", "Deals", "Deal", object_type="pipeline", stages=DEAL_STAGES)
    make_field(deals, "source", "radio", display_name="Source",
               options=["Inbound", "Outbound", "Referral", "Partner"])  # fmt: skip
    relate(deals, "company", companies, "deals", "primary", a_label="Company", b_label="Deals")
    relate(deals, "contacts", contacts, "deals", "additional",
           a_label="Contacts", b_label="Deals")  # fmt: skip

    projects = new_object("projects", "Projects", "Project")
    make_field(projects, "summary", "wysiwyg", display_name="Summary")
    make_field(projects, "notes", "longtext", display_name="Notes", meta={"is_markdown": True})
    make_field(projects, "priority", "choices", display_name="Priority",
               options=["Low", "Medium", "High"])  # fmt: skip
    make_field(projects, "health", "status", display_name="Health",
               options=["On Track", "At Risk", "Off Track"])  # fmt: skip
    make_field(projects, "kind", "selector", display_name="Kind",
               options=["Implementation", "Renewal", "Expansion"])  # fmt: skip
    make_field(projects, "billable", "checkbox", display_name="Billable")
    make_field(projects, "approved", "yesnomaybe", display_name="Approved")
    make_field(projects, "satisfaction", "rating", display_name="Satisfaction")
    make_field(projects, "budget", "money", display_name="Budget", currency="EUR")
    make_field(projects, "hours", "decimal", display_name="Hours")
    make_field(projects, "start_date", "date", display_name="Start Date")
    make_field(projects, "kickoff_at", "datetime", display_name="Kickoff At")
    make_field(projects, "contact_email", "email", display_name="Contact Email")
    make_field(projects, "labels", "dynamictags", display_name="Labels")
    make_field(projects, "attachments", "files", display_name="Attachments")
    make_field(projects, "timezone", "timezone", display_name="Timezone")
    make_field(projects, "lead", "team_selector", display_name="Project Lead")
    relate(projects, "company", companies, "projects", "primary",
           a_label="Company", b_label="Projects")  # fmt: skip

    for obj in (contacts, companies, deals, projects):
        store.add_object(obj)
