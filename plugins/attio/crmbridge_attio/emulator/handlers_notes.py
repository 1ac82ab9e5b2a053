"""``/v2/notes`` and ``/v2/tasks``: the notes and tasks a workspace holds, served with the
validation the spec declares (``attio-openapi.json``, paths ``/v2/notes``, ``/v2/notes/{note_id}``,
``/v2/tasks``, ``/v2/tasks/{task_id}``). Each rule below names its source; docs/emulators/attio.md
("Notes and tasks") lists them and what is not emulated (meetings, @-tags in content).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from . import errors
from .handlers import Api, Call, Reply
from .ids import parse_timestamp

__all__ = ["NoteRow", "NotesApi", "TaskRow"]

#: ``POST /v2/tasks`` ``content``: "A max length of 2000 characters is enforced" (spec).
TASK_MAX_LENGTH = 2000
#: ``POST /v2/notes`` ``format`` enum (spec); ``POST /v2/tasks`` ``format`` enum is ``plaintext``.
NOTE_FORMATS = ("plaintext", "markdown")
#: ``PATCH /v2/tasks/{task_id}``: "only the deadline_at, is_completed, linked_records, and
#: assignees fields can be updated" (spec; the body schema has ``additionalProperties: false``).
TASK_PATCHABLE = ("deadline_at", "is_completed", "linked_records", "assignees")
#: Markdown marks the spec lists for notes (headings 1-3, lists, bold, italic, strikethrough,
#: highlight, links): stripped for ``content_plaintext``.
_MARKS = [
    (re.compile(r"^#{1,3}\s+", re.M), ""),
    (re.compile(r"\[([^\]]*)\]\([^)]*\)"), r"\1"),
    (re.compile(r"(\*\*|__|~~|==)(.+?)\1"), r"\2"),
    (re.compile(r"(?<![*\w])[*_](?!\s)(.+?)(?<!\s)[*_](?![*\w])"), r"\1"),
]


def plaintext_of(markdown: str) -> str:
    for pattern, replacement in _MARKS:
        markdown = pattern.sub(replacement, markdown)
    return markdown


@dataclass(slots=True, eq=False)
class NoteRow:
    id: str
    parent_object: str
    parent_record_id: str
    title: str
    format: str
    content: str
    created_at: str
    created_by_actor: dict[str, Any]


@dataclass(slots=True, eq=False)
class TaskRow:
    id: str
    content: str
    deadline_at: str | None
    is_completed: bool
    created_at: str
    created_by_actor: dict[str, Any]
    linked_records: list[dict[str, str]] = field(default_factory=list)
    assignees: list[dict[str, str]] = field(default_factory=list)


def _invalid(path: list[str | int], message: str, **extra: Any) -> errors.AttioError:
    return errors.body_invalid([errors.zod("invalid_type", path, message, **extra)])


def _string(data: dict[str, Any], key: str) -> str:
    value = data[key]
    if not isinstance(value, str):
        raise _invalid(
            ["data", key],
            f"Expected string, received {errors.type_name(value)}",
            expected="string",
            received=errors.type_name(value),
        )
    return value


class NotesApi(Api):
    """The notes and tasks handlers; rows live on the workspace (``ws.notes``, ``ws.tasks``)."""

    # --- notes ------------------------------------------------------------------------------

    def render_note(self, row: NoteRow) -> dict[str, Any]:
        """The note shape of the spec's 200 answers (every key it marks required)."""
        markdown = row.content
        plain = plaintext_of(row.content) if row.format == "markdown" else row.content
        return {
            "id": {"workspace_id": self.ws.id, "note_id": row.id},
            "parent_object": row.parent_object,
            "parent_record_id": row.parent_record_id,
            "title": row.title,
            "meeting_id": None,
            "content_plaintext": plain,
            "content_markdown": markdown,
            "tags": [],
            "created_by_actor": row.created_by_actor,
            "created_at": row.created_at,
        }

    def note(self, note_id: str) -> NoteRow:
        found: NoteRow | None = self.ws.notes.get(note_id)
        if found is None:
            raise errors.not_found(f'Could not find Note with ID "{note_id}".')
        return found

    def parent(self, object_key: str, record_id: str) -> tuple[str, str]:
        """The parent record must exist: 404s worded as the spec's examples for records."""
        obj = self.object(object_key)
        if record_id not in self.ws.table(obj).rows:
            raise errors.not_found(f'Record with ID "{record_id}" not found.')
        return obj.api_slug, record_id

    def list_notes(self, call: Call) -> Reply:
        """``GET /v2/notes``: ``limit`` default 10, maximum 50; ``offset``; filter by
        ``parent_object`` and ``parent_record_id`` (spec parameters)."""
        limit, offset = self.paging(call.query, 10, 50, "Query")
        rows = list(self.ws.notes.values())
        if "parent_object" in call.query:
            obj = self.object(call.query["parent_object"])
            rows = [r for r in rows if r.parent_object == obj.api_slug]
        if "parent_record_id" in call.query:
            rows = [r for r in rows if r.parent_record_id == call.query["parent_record_id"]]
        return Reply({"data": [self.render_note(r) for r in rows[offset : offset + limit]]})

    def create_note(self, call: Call) -> Reply:
        """``POST /v2/notes``: ``parent_object``, ``parent_record_id``, ``title``, ``format``,
        ``content`` required; ``format`` plaintext|markdown; ``created_at`` "will default to the
        current time … dates before 1970 or in the future are not allowed" (spec)."""
        data = self.data(call, "parent_object", "parent_record_id", "title", "format", "content")
        for key in ("parent_object", "parent_record_id", "title", "format", "content"):
            _string(data, key)
        if data["format"] not in NOTE_FORMATS:
            raise errors.body_invalid(
                [
                    errors.zod(
                        "invalid_enum_value",
                        ["data", "format"],
                        "Invalid enum value. Expected 'plaintext' | 'markdown', "
                        f"received '{data['format']}'",
                        options=list(NOTE_FORMATS),
                        received=data["format"],
                    )
                ]
            )
        created_at = call.now
        if data.get("created_at") is not None:
            raw = _string(data, "created_at")
            parsed = parse_timestamp(raw)
            if parsed is None:
                raise errors.bad_request("validation_type", f'Invalid created_at "{raw}".')
            if parsed < "1970-01-01T00:00:00" or parsed > call.now:
                raise errors.bad_request(
                    "validation_type",
                    "created_at must not be before 1970 or in the future.",
                )
            created_at = parsed
        parent_object, record_id = self.parent(data["parent_object"], data["parent_record_id"])
        row = NoteRow(
            id=self.ws.ids.new(),
            parent_object=parent_object,
            parent_record_id=record_id,
            title=data["title"],
            format=data["format"],
            content=data["content"],
            created_at=created_at,
            created_by_actor=self.ws.api_actor(),
        )
        self.ws.notes[row.id] = row
        return Reply({"data": self.render_note(row)})

    def get_note(self, call: Call, note_id: str) -> Reply:
        return Reply({"data": self.render_note(self.note(note_id))})

    def delete_note(self, call: Call, note_id: str) -> Reply:
        """``DELETE /v2/notes/{note_id}``: 200 ``{}`` (spec)."""
        del self.ws.notes[self.note(note_id).id]
        return Reply({})

    # --- tasks ------------------------------------------------------------------------------

    def render_task(self, row: TaskRow) -> dict[str, Any]:
        return {
            "id": {"workspace_id": self.ws.id, "task_id": row.id},
            "content_plaintext": row.content,
            "deadline_at": row.deadline_at,
            "is_completed": row.is_completed,
            "linked_records": [dict(r) for r in row.linked_records],
            "assignees": [dict(a) for a in row.assignees],
            "created_by_actor": row.created_by_actor,
            "created_at": row.created_at,
        }

    def task(self, task_id: str) -> TaskRow:
        found: TaskRow | None = self.ws.tasks.get(task_id)
        if found is None:
            raise errors.not_found(f'Could not find Task with ID "{task_id}".')
        return found

    def linked(self, raw: Any) -> list[dict[str, str]]:
        """``linked_records``: ``{target_object, target_record_id}`` items whose record exists;
        read back as ``{target_object_id, target_record_id}`` with the object's slug (the spec's
        example ``"people"``). Matching by a unique attribute is not emulated: 400."""
        if not isinstance(raw, list):
            raise _invalid(["data", "linked_records"], "Expected array", expected="array")
        out = []
        for i, item in enumerate(raw):
            if not isinstance(item, dict) or not isinstance(item.get("target_object"), str):
                raise errors.body_invalid(
                    [errors.required(["data", "linked_records", i, "target_object"], "string")]
                )
            record_id = item.get("target_record_id")
            if not isinstance(record_id, str):
                raise errors.bad_request(
                    "validation_type",
                    "Linking a task by a matching attribute is not emulated; give target_record_id.",
                )
            obj = self.ws.object(item["target_object"])
            if obj is None:
                if self.ws.list(item["target_object"]) is not None:
                    # The spec's 400 example for POST/PATCH /v2/tasks.
                    raise errors.bad_request(
                        "validation_type",
                        "Only standard or custom object records can be linked to.",
                    )
                raise errors.not_found(f'Object with slug/ID "{item["target_object"]}" not found.')
            slug, record_id = self.parent(obj.api_slug, record_id)
            out.append({"target_object_id": slug, "target_record_id": record_id})
        return out

    def assignees(self, raw: Any) -> list[dict[str, str]]:
        """``assignees``: a workspace member by ``referenced_actor_id`` (type
        ``workspace-member``, the only one allowed) or ``workspace_member_email_address``."""
        if not isinstance(raw, list):
            raise _invalid(["data", "assignees"], "Expected array", expected="array")
        out = []
        for i, item in enumerate(raw):
            member = None
            if isinstance(item, dict) and "workspace_member_email_address" in item:
                email = item["workspace_member_email_address"]
                member = self.ws.member_by_email(email) if isinstance(email, str) else None
                if member is None:
                    raise errors.value_not_found(
                        f'Could not find a workspace member with email address "{email}".'
                    )
            elif isinstance(item, dict) and item.get("referenced_actor_type") == "workspace-member":
                actor_id = item.get("referenced_actor_id")
                member = self.ws.member_by_id(actor_id) if isinstance(actor_id, str) else None
                if member is None:
                    raise errors.value_not_found(
                        f'Could not find a workspace member with ID "{actor_id}".'
                    )
            else:
                raise errors.body_invalid(
                    [
                        errors.zod(
                            "invalid_union",
                            ["data", "assignees", i],
                            "Only workspace-member actors can be assigned to tasks.",
                        )
                    ]
                )
            out.append(
                {"referenced_actor_type": "workspace-member", "referenced_actor_id": member.id}
            )
        return out

    def deadline(self, raw: Any) -> str | None:
        if raw is None:
            return None
        if not isinstance(raw, str) or parse_timestamp(raw) is None:
            raise errors.bad_request("validation_type", f'Invalid deadline_at "{raw}".')
        return parse_timestamp(raw)

    def list_tasks(self, call: Call) -> Reply:
        """``GET /v2/tasks``: ``limit`` default 500, ``offset``, ``sort`` created_at:asc|desc
        (default asc), ``linked_object`` with ``linked_record_id`` ("If provided, … must also
        be provided"), ``is_completed``, ``assignee`` (id or e-mail; empty or ``null``: none)."""
        limit, offset = self.paging(call.query, 500, None, "Query")
        q = call.query
        rows = sorted(self.ws.tasks.values(), key=lambda r: r.created_at)
        if q.get("sort", "created_at:asc") not in ("created_at:asc", "created_at:desc"):
            raise errors.bad_request("validation_type", f'Invalid sort "{q["sort"]}".')
        if q.get("sort") == "created_at:desc":
            rows.reverse()
        if ("linked_object" in q) != ("linked_record_id" in q):
            raise errors.bad_request(
                "validation_type", "linked_object and linked_record_id must be given together."
            )
        if "linked_object" in q:
            obj = self.object(q["linked_object"])
            key = {"target_object_id": obj.api_slug, "target_record_id": q["linked_record_id"]}
            rows = [r for r in rows if key in r.linked_records]
        if "is_completed" in q:
            done = self.flag(call, "is_completed")
            rows = [r for r in rows if r.is_completed is done]
        if "assignee" in q:
            who = q["assignee"]
            if who in ("", "null"):
                rows = [r for r in rows if not r.assignees]
            else:
                member = self.ws.member_by_email(who) if "@" in who else None
                member_id = member.id if member else who
                rows = [
                    r
                    for r in rows
                    if any(a["referenced_actor_id"] == member_id for a in r.assignees)
                ]
        return Reply({"data": [self.render_task(r) for r in rows[offset : offset + limit]]})

    def create_task(self, call: Call) -> Reply:
        """``POST /v2/tasks``: ``content`` (≤ 2000), ``format`` (``plaintext``), ``deadline_at``
        (nullable), ``is_completed``, ``linked_records`` and ``assignees`` all required (spec)."""
        data = self.data(
            call, "content", "format", "deadline_at", "is_completed", "linked_records", "assignees"
        )
        content = _string(data, "content")
        if len(content) > TASK_MAX_LENGTH:
            raise errors.body_invalid(
                [
                    errors.zod(
                        "too_big",
                        ["data", "content"],
                        f"String must contain at most {TASK_MAX_LENGTH} character(s)",
                        maximum=TASK_MAX_LENGTH,
                        type="string",
                        inclusive=True,
                    )
                ]
            )
        if data["format"] != "plaintext":
            raise errors.body_invalid(
                [
                    errors.zod(
                        "invalid_literal",
                        ["data", "format"],
                        'Invalid literal value, expected "plaintext"',
                        expected="plaintext",
                    )
                ]
            )
        if not isinstance(data["is_completed"], bool):
            raise _invalid(
                ["data", "is_completed"],
                f"Expected boolean, received {errors.type_name(data['is_completed'])}",
                expected="boolean",
                received=errors.type_name(data["is_completed"]),
            )
        row = TaskRow(
            id=self.ws.ids.new(),
            content=content,
            deadline_at=self.deadline(data["deadline_at"]),
            is_completed=data["is_completed"],
            created_at=call.now,
            created_by_actor=self.ws.api_actor(),
            linked_records=self.linked(data["linked_records"]),
            assignees=self.assignees(data["assignees"]),
        )
        self.ws.tasks[row.id] = row
        return Reply({"data": self.render_task(row)})

    def get_task(self, call: Call, task_id: str) -> Reply:
        return Reply({"data": self.render_task(self.task(task_id))})

    def update_task(self, call: Call, task_id: str) -> Reply:
        """``PATCH /v2/tasks/{task_id}``: only :data:`TASK_PATCHABLE` keys (spec)."""
        data = self.data(call)
        extra = sorted(set(data) - set(TASK_PATCHABLE))
        if extra:
            raise errors.body_invalid(
                [
                    errors.zod(
                        "unrecognized_keys",
                        ["data"],
                        "Unrecognized key(s) in object: " + ", ".join(f"'{k}'" for k in extra),
                        keys=extra,
                    )
                ]
            )
        row = self.task(task_id)
        if "is_completed" in data and not isinstance(data["is_completed"], bool):
            raise _invalid(["data", "is_completed"], "Expected boolean", expected="boolean")
        # Everything is checked before anything changes.
        deadline = self.deadline(data["deadline_at"]) if "deadline_at" in data else row.deadline_at
        linked = self.linked(data["linked_records"]) if "linked_records" in data else None
        assignees = self.assignees(data["assignees"]) if "assignees" in data else None
        row.deadline_at = deadline
        if "is_completed" in data:
            row.is_completed = data["is_completed"]
        if linked is not None:
            row.linked_records = linked
        if assignees is not None:
            row.assignees = assignees
        return Reply({"data": self.render_task(row)})

    def delete_task(self, call: Call, task_id: str) -> Reply:
        del self.ws.tasks[self.task(task_id).id]
        return Reply({})


def routes() -> list[tuple[str, str, str]]:
    """(method, path pattern, handler name) of this group, for :mod:`.routes`."""
    s = r"([^/]+)"
    return [
        ("GET", r"/v2/notes", "list_notes"),
        ("POST", r"/v2/notes", "create_note"),
        ("GET", rf"/v2/notes/{s}", "get_note"),
        ("DELETE", rf"/v2/notes/{s}", "delete_note"),
        ("GET", r"/v2/tasks", "list_tasks"),
        ("POST", r"/v2/tasks", "create_task"),
        ("GET", rf"/v2/tasks/{s}", "get_task"),
        ("PATCH", rf"/v2/tasks/{s}", "update_task"),
        ("DELETE", rf"/v2/tasks/{s}", "delete_task"),
    ]
