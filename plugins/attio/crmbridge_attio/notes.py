"""Attio notes and tasks: the codec (payload ⇄ :class:`~crmbridge.Note` / :class:`~crmbridge.Task`)
and the plans, mixed into :class:`~crmbridge_attio.provider.AttioProvider`.

Endpoints, fields and limits are those of ``attio-openapi.json`` (paths ``/v2/notes``,
``/v2/notes/{note_id}``, ``/v2/tasks``, ``/v2/tasks/{task_id}``), summarised in
docs/reference/attio.md §12. No recording of this traffic exists, so the spec is the only source.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from crmbridge import Note, NotFound, Ref, Task, User, ValidationError

from .values import decode_actor, format_timestamp, parse_timestamp

if TYPE_CHECKING:
    import httpx

    from crmbridge.plugin import Plan

__all__ = ["AttioNotes", "decode_note", "decode_task", "encode_note", "encode_task"]

#: ``GET /v2/notes`` ``limit``: "The default is 10 and the maximum is 50" (spec).
NOTES_PAGE = 50
#: ``GET /v2/tasks`` ``limit``: "Defaults to 500" (no maximum is documented).
TASKS_PAGE = 500
#: ``POST /v2/notes`` ``created_at``: "dates before 1970 or in the future are not allowed".
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _data(body: Any) -> Any:
    return body.get("data") if isinstance(body, Mapping) else None


def decode_note(raw: Mapping[str, Any]) -> Note:
    """A note answer. Attio gives the content twice, ``content_plaintext`` and
    ``content_markdown``: a note whose markdown says more than its plain text is ``markdown``."""
    plain = raw.get("content_plaintext") or ""
    markdown = raw.get("content_markdown")
    rich = isinstance(markdown, str) and markdown != plain
    return Note(
        parent=Ref(str(raw.get("parent_object")), str(raw.get("parent_record_id"))),
        title=raw.get("title") or "",
        content=str(markdown if rich else plain),
        format="markdown" if rich else "plaintext",
        created_at=parse_timestamp(raw.get("created_at")),
        author=decode_actor(raw.get("created_by_actor")),
        id=(raw.get("id") or {}).get("note_id"),
        raw=raw,
    )


def encode_note(note: Note) -> dict[str, Any]:
    """The ``POST /v2/notes`` body (the five required keys, ``created_at`` when given)."""
    data: dict[str, Any] = {
        "parent_object": note.parent.object,
        "parent_record_id": note.parent.id,
        "title": note.title,
        "format": note.format,
        "content": note.content,
    }
    if note.created_at is not None:
        data["created_at"] = format_timestamp(note.created_at)
    return {"data": data}


def _assignee(user: User) -> dict[str, str]:
    """A workspace member by id, or by e-mail ("Workspace member actors can be referenced by
    email address as well as actor ID", spec ``assignees``)."""
    if user.id:
        return {"referenced_actor_type": "workspace-member", "referenced_actor_id": user.id}
    return {"workspace_member_email_address": str(user.email)}


def _linked(ref: Ref) -> dict[str, str]:
    return {"target_object": ref.object, "target_record_id": ref.id}


def _deadline(value: dt.datetime | None) -> str | None:
    return None if value is None else format_timestamp(value)


def encode_task(task: Task) -> dict[str, Any]:
    """The ``POST /v2/tasks`` body: every key the spec requires, ``format`` ``plaintext`` (the
    only one it takes)."""
    return {
        "data": {
            "content": task.content,
            "format": "plaintext",
            "deadline_at": _deadline(task.deadline),
            "is_completed": task.completed,
            "linked_records": [_linked(r) for r in task.linked],
            "assignees": [_assignee(u) for u in task.assignees],
        }
    }


def encode_task_changes(changes: Mapping[str, Any]) -> dict[str, Any]:
    """The ``PATCH /v2/tasks/{task_id}`` body for the neutral changes given."""
    data: dict[str, Any] = {}
    if "deadline" in changes:
        data["deadline_at"] = _deadline(changes["deadline"])
    if "completed" in changes:
        data["is_completed"] = changes["completed"]
    if "linked" in changes:
        data["linked_records"] = [_linked(r) for r in changes["linked"]]
    if "assignees" in changes:
        data["assignees"] = [_assignee(u) for u in changes["assignees"]]
    return {"data": data}


def decode_task(raw: Mapping[str, Any], objects: Mapping[str, str] | None = None) -> Task:
    """A task answer. ``linked_records`` name their object as ``target_object_id`` (the spec's
    example is a slug, ``"people"``); ``objects`` maps object ids to slugs where it is an id."""
    objects = objects or {}
    linked = [
        Ref(
            objects.get(str(r.get("target_object_id")), str(r.get("target_object_id"))),
            str(r.get("target_record_id")),
        )
        for r in raw.get("linked_records") or ()
        if isinstance(r, Mapping)
    ]
    assignees = [
        User(id=a.get("referenced_actor_id"), kind=a.get("referenced_actor_type"))
        for a in raw.get("assignees") or ()
        if isinstance(a, Mapping)
    ]
    return Task(
        content=raw.get("content_plaintext") or "",
        deadline=parse_timestamp(raw.get("deadline_at")),
        completed=bool(raw.get("is_completed")),
        assignees=assignees,
        linked=linked,
        id=(raw.get("id") or {}).get("task_id"),
        created_at=parse_timestamp(raw.get("created_at")),
        raw=raw,
    )


def _looks_like_id(slug: str) -> bool:
    return len(slug) == 36 and slug.count("-") == 4


class AttioNotes:
    """The notes and tasks plans (crmbridge/notes/hooks.py) for Attio."""

    name: ClassVar[str]
    if TYPE_CHECKING:  # Provider's, which this is mixed into

        def build_request(self, method: str, path: str, **kwargs: Any) -> httpx.Request: ...

    def _notes_page(self, params: dict[str, Any], offset: int) -> Plan[tuple[list[Note], bool]]:
        """One ``GET /v2/notes`` page ("List notes for all records or for a specific record",
        spec) and whether another may follow (a full page)."""
        params = params | {"limit": NOTES_PAGE, "offset": offset}
        response = yield self.build_request("GET", "/v2/notes", params=params)
        page = _data(response.json()) or []
        return [decode_note(n) for n in page if isinstance(n, Mapping)], len(page) >= NOTES_PAGE

    def list_notes(self, parent: Ref) -> Plan[list[Note]]:
        """``GET /v2/notes?parent_object=…&parent_record_id=…``, page by page (offset)."""
        params = {"parent_object": parent.object, "parent_record_id": parent.id}
        out: list[Note] = []
        while True:
            page, more = yield from self._notes_page(params, len(out))
            out.extend(page)
            if not more:
                return out

    def list_object_notes(
        self, object: str, cursor: str | None
    ) -> Plan[tuple[list[Note], str | None]]:
        """``GET /v2/notes?parent_object=…``: the notes of every record of ``object``, 50 a
        page; the cursor is the next offset."""
        offset = int(cursor or 0)
        page, more = yield from self._notes_page({"parent_object": object}, offset)
        return page, str(offset + NOTES_PAGE) if more else None

    def get_note(self, id: str) -> Plan[Note]:
        response = yield self.build_request("GET", f"/v2/notes/{id}")
        return decode_note(_data(response.json()) or {})

    def create_note(self, note: Note) -> Plan[Note]:
        """``POST /v2/notes``; a ``created_at`` before 1970 or in the future is refused before
        the request (spec), as Attio would refuse it."""
        if note.created_at is not None and not (
            EPOCH <= note.created_at <= dt.datetime.now(dt.UTC)
        ):
            raise ValidationError(
                f"Attio takes a note's created_at from 1970 to now, got {note.created_at}"
            )
        response = yield self.build_request("POST", "/v2/notes", json=encode_note(note))
        return decode_note(_data(response.json()) or {})

    def delete_note(self, id: str) -> Plan[None]:
        yield self.build_request("DELETE", f"/v2/notes/{id}")

    def _objects(self, raws: list[Mapping[str, Any]]) -> Plan[dict[str, str]]:
        """Object id → slug, read only when a task names its linked object by id."""
        ids = {
            str(r.get("target_object_id"))
            for raw in raws
            for r in raw.get("linked_records") or ()
            if isinstance(r, Mapping)
        }
        if not any(_looks_like_id(i) for i in ids):
            return {}
        response = yield self.build_request("GET", "/v2/objects")
        return {
            str((o.get("id") or {}).get("object_id")): str(o.get("api_slug"))
            for o in _data(response.json()) or ()
            if isinstance(o, Mapping)
        }

    def list_tasks(self, linked: Ref | None, completed: bool | None) -> Plan[list[Task]]:
        """``GET /v2/tasks`` (oldest first), filtered by ``linked_object`` +
        ``linked_record_id`` and ``is_completed`` when given, page by page (offset)."""
        raws: list[Mapping[str, Any]] = []
        while True:
            params: dict[str, Any] = {"limit": TASKS_PAGE, "offset": len(raws)}
            if linked is not None:
                params |= {"linked_object": linked.object, "linked_record_id": linked.id}
            if completed is not None:
                params["is_completed"] = "true" if completed else "false"
            response = yield self.build_request("GET", "/v2/tasks", params=params)
            page = [t for t in _data(response.json()) or () if isinstance(t, Mapping)]
            raws.extend(page)
            if len(page) < TASKS_PAGE:
                break
        objects = yield from self._objects(raws)
        return [decode_task(t, objects) for t in raws]

    def _task(self, response: httpx.Response) -> Plan[Task]:
        raw = _data(response.json())
        if not isinstance(raw, Mapping):
            raise NotFound("Attio answered without a task", provider=self.name)
        objects = yield from self._objects([raw])
        return decode_task(raw, objects)

    def get_task(self, id: str) -> Plan[Task]:
        response = yield self.build_request("GET", f"/v2/tasks/{id}")
        return (yield from self._task(response))

    def create_task(self, task: Task) -> Plan[Task]:
        response = yield self.build_request("POST", "/v2/tasks", json=encode_task(task))
        return (yield from self._task(response))

    def update_task(self, id: str, changes: Mapping[str, Any]) -> Plan[Task]:
        body = encode_task_changes(changes)
        response = yield self.build_request("PATCH", f"/v2/tasks/{id}", json=body)
        return (yield from self._task(response))

    def delete_task(self, id: str) -> Plan[None]:
        yield self.build_request("DELETE", f"/v2/tasks/{id}")
