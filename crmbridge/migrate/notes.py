"""Notes and tasks in a migration (issue 21): copied after their parent records, through the id map.

After every object of the mapping is copied, for each source record the id map holds, its notes
are read and written onto the target record it became; then every source task linked to a
migrated record is written with its links rewritten through the id map. Like records:

* each note and task has a content hash in the state (under the pseudo objects ``@notes`` and
  ``@tasks``): an unchanged one is a ``noop`` with no write, so a re-run writes nothing;
* a failed write stays *pending* (the run is not ``ok``) and is retried by the next run;
* timestamps are kept where the target can take them (``Capabilities.notes_backdate``), authors
  where it can set them (``notes_author``); assignees and authors are the target's users, paired
  as a record's user fields are (crmbridge/migrate/users.py, the mapping's ``[users]`` table);
* a note whose content changed is replaced (deleted, then created) where the target can delete
  notes; a task whose deadline, completion, assignees or links changed is updated in place, one
  whose content changed is replaced.

The translation (:func:`note_for_target`, :func:`task_for_target`) is pure; ``--verify``
(crmbridge/migrate/verify.py) compares with the same translation.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ..errors import CRMError, NotFound, Unsupported, ValidationError
from ..model import Ref, User
from ..notes import Note, Task
from .plan import ObjectPlan, content_hash
from .report import ObjectReport
from .users import pair_users

if TYPE_CHECKING:
    from ..bridge import AsyncBridge
    from ..provider import Capabilities
    from .engine import MigrationEngine
    from .mapping import MappingFile
    from .state import IdEntry, StateStore

__all__ = [
    "NOTES",
    "TASKS",
    "copy_notes_and_tasks",
    "linked_for_target",
    "note_for_target",
    "note_hash",
    "pairing",
    "source_notes",
    "task_for_target",
    "task_hash",
]

log = logging.getLogger("crmbridge.migrate")

#: The id map's pseudo objects for notes and tasks (no object slug holds an ``@``).
NOTES = "@notes"
TASKS = "@tasks"

Users = Callable[[User], User]


def _same_user(user: User) -> User:
    return user


async def pairing(source: AsyncBridge, target: AsyncBridge, mapping: MappingFile) -> Users:
    """Source user → target user for authors and assignees: the pairs of the mapping's
    ``[users]`` table and e-mail addresses (:func:`~crmbridge.migrate.users.pair_users`). Where
    the target has no users of its own (a SQLite backup), users are kept as they are; where only
    the source has none (a restore from a backup), a user the target knows is kept and any other
    is the mapping's ``fallback`` user. A user left without a target user fails the note or task
    that names it (the error says how to pair it)."""
    targets = await _users_of(target)
    if targets is None:
        return _same_user
    sources = await _users_of(source)
    if sources is None:
        return _known_or_fallback(targets, mapping, target.name)
    try:
        pairs = pair_users(sources, targets, mapping.users)
    except ValidationError as problem:
        return _refuse(problem)
    return lambda user: pairs.target_of(user)


async def _users_of(bridge: AsyncBridge) -> list[User] | None:
    try:
        users: list[User] = await bridge.run(bridge.provider.list_users())
    except Unsupported:
        return None
    return users


def _refuse(error: ValidationError) -> Users:
    def refuse(user: User) -> User:
        raise error

    return refuse


def _known_or_fallback(targets: list[User], mapping: MappingFile, name: str) -> Users:
    ids = {u.id for u in targets if u.id}
    emails = {u.email.casefold(): u for u in targets if u.email}
    wanted = mapping.users.fallback
    fallback = None
    if wanted is not None:
        fallback = next((u for u in targets if u.id == wanted), None) or emails.get(
            wanted.casefold()
        )
        if fallback is None:
            return _refuse(ValidationError(f"users.fallback: {name} has no user {wanted!r}"))

    def pair(user: User) -> User:
        if user.id in ids:
            return User(id=user.id)
        if user.email and user.email.casefold() in emails:
            return User(id=emails[user.email.casefold()].id, email=user.email)
        if fallback is not None:
            return User(id=fallback.id, email=fallback.email)
        raise ValidationError(
            f"user {user.email or user.id} is not a user of {name}; name a fallback user in "
            'the mapping ([users] fallback = "someone@example.com")',
            code="unpaired_user",
        )

    return pair


def note_for_target(
    note: Note, parent: Ref, caps: Capabilities, users: Users | None = None
) -> Note:
    """The note to create on the target record ``parent``: the same title and content; the
    format where the target takes it (else plain text, the content unchanged); ``created_at``
    where it can be set; the paired author where it can be set."""
    author = None
    if caps.notes_author and note.author is not None:
        author = (users or _same_user)(note.author)
    return Note(
        parent=parent,
        content=note.content,
        title=note.title,
        format=note.format if note.format in caps.note_formats else "plaintext",
        created_at=note.created_at if caps.notes_backdate else None,
        author=author,
    )


def linked_for_target(
    task: Task, plans: Mapping[str, ObjectPlan], target_id: Callable[[str, str], str | None]
) -> tuple[Ref, ...]:
    """The task's links that reach a migrated record, rewritten to the target's ids; links to
    objects outside the mapping or to records not migrated are left out."""
    out = []
    for ref in task.linked:
        plan = plans.get(ref.object)
        found = target_id(ref.object, ref.id) if plan is not None else None
        if plan is not None and found is not None:
            out.append(Ref(plan.map.target, found))
    return tuple(out)


def task_for_target(task: Task, linked: Iterable[Ref], users: Users | None = None) -> Task:
    """The task to create on the target: the same content, deadline and completion; the paired
    assignees; ``linked`` (see :func:`linked_for_target`)."""
    pair = users or _same_user
    return Task(
        content=task.content,
        deadline=task.deadline,
        completed=task.completed,
        assignees=tuple(pair(u) for u in task.assignees),
        linked=tuple(linked),
    )


def _user_key(user: User | None) -> Any:
    return None if user is None else (user.id, user.email)


def note_hash(note: Note) -> str:
    return content_hash(
        {
            "parent": note.parent,
            "title": note.title,
            "content": note.content,
            "format": note.format,
            "created_at": note.created_at,
            "author": _user_key(note.author),
        }
    )


def task_hash(task: Task) -> str:
    return content_hash(
        {
            "content": task.content,
            "deadline": task.deadline,
            "completed": task.completed,
            "assignees": sorted(str(_user_key(u)) for u in task.assignees),
            "linked": sorted(f"{r.object}/{r.id}" for r in task.linked),
        }
    )


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


async def copy_notes_and_tasks(engine: MigrationEngine, plans: list[ObjectPlan]) -> None:
    """Copy the notes and tasks of the migrated records (see the module docstring); a side
    without them (``Capabilities.notes`` / ``tasks`` false) is skipped with an INFO line."""
    source, target = engine.source, engine.target
    users: Users | None = None
    for kind, flag in (("notes", "notes"), ("tasks", "tasks")):
        if not getattr(source.capabilities, flag):
            continue
        if not getattr(target.capabilities, flag):
            log.info("%s: not copied: %s keeps no %s", kind, target.name, kind)
            continue
        if kind == "notes" and not target.capabilities.notes_create:
            log.info("notes: not copied: %s cannot create notes", target.name)
            continue
        if users is None:
            users = await pairing(source, target, engine.mapping)
        if kind == "notes":
            await _copy_notes(engine, plans, users)
        else:
            await _copy_tasks(engine, plans, users)
    if not engine.dry_run:
        engine.state.flush()


async def _copy_notes(engine: MigrationEngine, plans: list[ObjectPlan], users: Users) -> None:
    state, target = engine.state, engine.target
    report = ObjectReport("notes")
    for plan in plans:
        async for note, parent_id in source_notes(engine.source, state, plan):
            key = note.id or ""
            parent = Ref(plan.map.target, parent_id)
            try:
                want = note_for_target(note, parent, target.capabilities, users)
            except CRMError as exc:
                _failed(state, report, NOTES, key, exc)
                continue
            await _write_note(engine, report, key, want)
    _report(engine, report, NOTES)


async def source_notes(
    source: AsyncBridge, state: StateStore, plan: ObjectPlan
) -> AsyncIterator[tuple[Note, str]]:
    """The source notes of the plan's migrated records, each with the target id of its parent
    (notes without an id are passed over: nothing could find their copy again).

    Where the source lists an object's notes in pages (``Capabilities.notes_by_object``), that
    costs one request per page of notes (50 on Attio) instead of one per migrated record, even
    the many with no note; notes on records the id map does not hold are passed over."""
    obj = plan.map.source
    if source.capabilities.notes_by_object:
        async for note in source.object_notes(obj):
            parent_id = state.target_id(obj, note.parent.id)
            if parent_id is not None and note.id is not None:
                yield note, parent_id
        return
    for source_id in state.each_source_id(obj):  # a page of ids at a time (issue 24)
        parent_id = state.target_id(obj, source_id)
        if parent_id is not None:
            for note in await source.notes(obj, source_id):
                if note.id is not None:
                    yield note, parent_id


def _to_write(
    engine: MigrationEngine, report: ObjectReport, kind: str, key: str, digest: str,
    plan: dict[str, str],
) -> tuple[bool, IdEntry | None]:  # fmt: skip
    """Whether the note or task ``key`` must be written, and its id-map row: unchanged since it
    was written is a ``noop``; in a dry run, ``plan`` is printed and it is ``planned``."""
    entry = engine.state.entry(kind, key)
    if entry is not None and entry.hash == digest:
        report.count("noop")
        return False, entry
    if engine.dry_run:
        engine._emit_plan(plan)
        report.count("planned")
        return False, entry
    return True, entry


async def _write_note(engine: MigrationEngine, report: ObjectReport, key: str, want: Note) -> None:
    state, target = engine.state, engine.target
    digest = note_hash(want)
    parent = f"{want.parent.object}/{want.parent.id}"
    plan = {"action": "create_note", "source_id": key, "parent": parent}
    write, entry = _to_write(engine, report, NOTES, key, digest, plan)
    if not write:
        return
    try:
        if entry is not None:
            if not target.capabilities.notes_delete:
                raise Unsupported(
                    f"note {key} changed in the source, and {target.name} can neither change "
                    "nor delete a note: the old one stays",
                    provider=target.name,
                )
            with contextlib.suppress(NotFound):
                await target.delete_note(entry.target_id)
        made = await target.create_note(want)
    except CRMError as exc:
        _failed(state, report, NOTES, key, exc)
        return
    state.record(NOTES, key, NOTES, made.id or "", digest)
    report.count("created" if entry is None else "updated")


async def _copy_tasks(engine: MigrationEngine, plans: list[ObjectPlan], users: Users) -> None:
    state = engine.state
    report = ObjectReport("tasks")
    by_source = {p.map.source: p for p in plans}
    for task in await engine.source.tasks():
        if task.id is None:
            continue
        linked = linked_for_target(task, by_source, state.target_id)
        if task.linked and not linked:
            continue  # about records this migration does not copy
        try:
            want = task_for_target(task, linked, users)
        except CRMError as exc:
            _failed(state, report, TASKS, task.id, exc)
            continue
        await _write_task(engine, report, task.id, want)
    _report(engine, report, TASKS)


async def _write_task(engine: MigrationEngine, report: ObjectReport, key: str, want: Task) -> None:
    state, target = engine.state, engine.target
    digest = task_hash(want)
    write, entry = _to_write(
        engine, report, TASKS, key, digest, {"action": "create_task", "source_id": key}
    )
    if not write:
        return
    written = {"content": _digest(want.content)}
    try:
        same_content = entry is not None and (entry.written or {}) == written
        if entry is not None and same_content and target.capabilities.tasks_update:
            made = await target.update_task(
                entry.target_id,
                deadline=want.deadline,
                completed=want.completed,
                assignees=want.assignees,
                linked=want.linked,
            )
        else:
            if entry is not None and target.capabilities.tasks_delete:
                with contextlib.suppress(NotFound):
                    await target.delete_task(entry.target_id)
            made = await target.create_task(want)
    except CRMError as exc:
        _failed(state, report, TASKS, key, exc)
        return
    state.record(TASKS, key, TASKS, made.id or "", digest, written)
    report.count("created" if entry is None else "updated")


def _report(engine: MigrationEngine, report: ObjectReport, kind: str) -> None:
    """The ``notes`` / ``tasks`` row of the run's report, when there was any."""
    report.pending = len(engine.state.pending(kind))
    if report.total or report.pending:
        engine.report.objects[report.key] = report


def _failed(state: StateStore, report: ObjectReport, kind: str, key: str, exc: Exception) -> None:
    log.warning("%s %s: not written: %s", kind.lstrip("@")[:-1], key, exc)
    state.failed(kind, key, str(exc))
    report.count("failed")
