"""The ``demo`` seed's activities (issue 21): logged "Call" instances (the provider's notes, with
``note_activity="call"``) and scheduled "To-do" activities (its tasks, with
``task_activity="to_do"``) on the demo records, so a migration out of the demo carries notes and
tasks. A random stream of its own (ids too), so the demo records and the ids the emulator gives
later stay what they were. docs/emulators/kizen.md "The demo data" describes them.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from typing import TYPE_CHECKING

from .activities_logged import Logged
from .ids import format_datetime

if TYPE_CHECKING:
    from .activities import ActivitiesApi

__all__ = ["seed_demo_activities"]

NOTES = (
    "Asked for a quote for next quarter.",
    "Left a voicemail; will call back on Tuesday.",
    "Interested in the annual plan, wants a discount.",
    "Talked about onboarding; the team starts in May.",
    "Renewal is up in the autumn; no change of budget.",
)
TASKS = (
    "Send the proposal",
    "Follow up on the quote",
    "Book a demo with the team",
    "Check in after onboarding",
)
_EPOCH = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)
#: Activities go on the first records only, so a benchmark's 100,000-contact demo costs no more
#: memory or build time than a small one.
FIRST_CONTACTS, FIRST_COMPANIES = 300, 75


def seed_demo_activities(api: ActivitiesApi, random_seed: int) -> None:
    """Among the first 300 contacts and 75 companies: a call logged on every third contact (on
    its company too, every other time) and on every fifth company; a to-do scheduled for every
    tenth contact, linked to it (and its company, every
    other one), assigned to a team member, every third one completed (logged in Kizen's UI)."""
    from .activities import Scheduled  # the module imports this one's neighbours

    rng = random.Random(f"kizen-demo-activities:{random_seed}")
    store = api.store
    call = next(t for t in api.types.values() if t.api_name == "call")
    to_do = next(t for t in api.types.values() if t.api_name == "to_do")
    contacts, companies = store.objects["client_client"], store.objects["companies_company"]
    company_field = contacts.obj.field_by_name("company_primary")
    team = sorted(store.employees)
    clock = _EPOCH

    def new_id() -> str:
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))

    def company_of(record_id: str) -> str | None:
        if company_field is None:
            return None
        linked = store.linked(contacts.records[record_id], company_field)
        return next(iter(linked), None)

    people = contacts.live_ids()[:FIRST_CONTACTS]
    parents: list[list[tuple[str, str]]] = []
    for i, person in enumerate(people[::3]):
        entities = [(contacts.obj.id, person)]
        company = company_of(person)
        if company is not None and i % 2 == 0:
            entities.append((companies.obj.id, company))
        parents.append(entities)
    parents += [[(companies.obj.id, c)] for c in companies.live_ids()[:FIRST_COMPANIES:5]]
    for entities in parents:
        clock += dt.timedelta(minutes=rng.randint(5, 600))
        logged = api.logged
        logged._seq += 1
        item = Logged(new_id(), call, logged._seq, rng.choice(NOTES), format_datetime(clock),
                      rng.choice(team), entities)  # fmt: skip
        logged.items[item.id] = item
    for i, person in enumerate(people[::10]):
        clock += dt.timedelta(minutes=rng.randint(5, 600))
        entities = [(contacts.obj.id, person)]
        company = company_of(person)
        if company is not None and i % 2 == 0:
            entities.append((companies.obj.id, company))
        api._seq += 1
        due = clock + dt.timedelta(days=rng.randint(1, 30))
        item_id = new_id()
        task = Scheduled(item_id, to_do, api._seq, format_datetime(due), rng.choice(team),
                         rng.choice(TASKS), entities)  # fmt: skip
        if i % 3 == 0:
            task.completed_at = format_datetime(due - dt.timedelta(hours=2))
        api.scheduled[task.id] = task
