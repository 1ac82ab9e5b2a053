"""Notes and tasks of the demo data set (``seed="demo"``): some people and companies have notes
(plain text and markdown, dated in 2025) and the team has tasks about them, so a migration of the
demo data has notes and tasks to carry (docs/notes.md). A random stream of its own keeps the
records of the demo exactly as they were before notes existed."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from .handlers_notes import NoteRow, TaskRow
from .ids import format_timestamp
from .schema import MemberDef
from .store import Workspace

__all__ = ["seed_notes"]

NOTES = (
    ("Intro call", "plaintext", "Met at the conference.\nWants a demo next week."),
    ("Pricing", "markdown", "Asked about the **annual** plan and *volume* discounts."),
    ("Follow-up", "plaintext", "Sent the case study; waiting for their security review."),
    ("Next steps", "markdown", "# Plan\n- trial for 3 seats\n- check in after two weeks"),
)
TASKS = (
    "Send the proposal",
    "Book a follow-up call",
    "Share the onboarding guide",
    "Ask for a referral",
)


def seed_notes(
    ws: Workspace, people: list[str], companies: list[str], members: list[MemberDef], seed: int
) -> None:
    """Notes on about a third of the people and a fifth of the companies, one task per ten
    people (linked to a person and, every other one, their company too)."""
    rng = random.Random(f"attio-demo-notes-{seed}")
    when = datetime(2025, 2, 3, 10, 0, tzinfo=UTC)
    actor = ws.api_actor()
    parents = [("people", p) for p in people[::3]] + [("companies", c) for c in companies[::5]]
    for obj, record_id in parents:
        for _ in range(rng.randint(1, 2)):
            title, fmt, content = rng.choice(NOTES)
            when += timedelta(minutes=rng.randint(5, 600))
            row = NoteRow(ws.ids.new(), obj, record_id, title, fmt, content,
                          format_timestamp(when), actor)  # fmt: skip
            ws.notes[row.id] = row
    for i, person in enumerate(people[::10]):
        when += timedelta(minutes=rng.randint(5, 600))
        linked = [{"target_object_id": "people", "target_record_id": person}]
        if i % 2 == 0 and companies:
            linked.append({"target_object_id": "companies", "target_record_id": companies[i % len(companies)]})  # fmt: skip
        member = rng.choice(members)
        task = TaskRow(
            id=ws.ids.new(),
            content=rng.choice(TASKS),
            deadline_at=format_timestamp(when + timedelta(days=rng.randint(1, 30))),
            is_completed=i % 3 == 0,
            created_at=format_timestamp(when),
            created_by_actor=actor,
            linked_records=linked,
            assignees=[
                {"referenced_actor_type": "workspace-member", "referenced_actor_id": member.id}
            ],
        )
        ws.tasks[task.id] = task
