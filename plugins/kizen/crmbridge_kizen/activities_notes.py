"""Kizen notes, read only: the logged activities of the activity type the user names, as plans
mixed into :class:`~crmbridge_kizen.provider.KizenProvider` (the hooks of crmbridge/notes/hooks.py).

``connect("kizen", note_activity="call")`` (or ``KIZEN_NOTE_ACTIVITY``) names the type; then Kizen
declares ``notes`` and ``notes_by_object`` with ``notes_create`` false. What each verb sends and
its source (docs/reference/kizen-activities.md §1, §3):

* an object's notes: ``POST /api/activities/{type uuid}/responses?custom_object_id=<object uuid>``
  with an empty body ("POST because the body can carry filters; empty body lists all"; the
  ``next`` links followed with bare POSTs: kizen/kizen-admin-cli ``api/activities.py``
  ``list_responses``), then ``GET /api/activities/logged/{id}`` for each instance: the list does
  not carry the text (admin-cli ``tools/activities.py`` ``list_logged``);
* a record's notes: its object's, kept where the record is the parent (no record filter is
  published);
* one note: ``GET /api/activities/logged/{id}`` (developer.kizen.com/api/activities).

Not provided: creating (where the text goes and what ``log-activity`` answers are unpublished),
deleting, backdating ("logged_at always matches the time the activity record is created").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import quote

from crmbridge import Note, NotFound, Ref, ValidationError

from .activities_codec import decode_note

if TYPE_CHECKING:
    import httpx

    from crmbridge.plugin import Plan

__all__ = ["KizenNotes"]


class KizenNotes:
    """The read-only notes plans for Kizen; see the module docstring."""

    name: ClassVar[str]
    if TYPE_CHECKING:  # KizenActivities' and KizenProvider's, which this is mixed beside

        def build_request(self, method: str, path: str, **kwargs: Any) -> httpx.Request: ...
        def _activity_type(self, key: str) -> Plan[str]: ...
        def _objects(self) -> Plan[dict[str, str]]: ...
        def _follow(self, url: str) -> str: ...

    def _logged(self, id: str) -> Plan[Mapping[str, Any]]:
        response = yield self.build_request("GET", f"/api/activities/logged/{quote(id, safe='')}")
        raw = response.json()
        if not isinstance(raw, Mapping):
            raise NotFound(f"Kizen answered without logged activity {id}", provider=self.name)
        return raw

    def list_object_notes(
        self, object: str, cursor: str | None
    ) -> Plan[tuple[list[Note], str | None]]:
        """One page of the type's logged instances on records of ``object``, each read whole;
        the cursor is the page's ``next`` link. An instance on several records is one note, on
        its first record (as :meth:`get_note` reads it): a :class:`~crmbridge.Note` has one
        parent, and a migration keys notes by id."""
        type_id = yield from self._activity_type("note_activity")
        objects = yield from self._objects()
        object_id = objects.get(object)
        if object_id is None:
            raise ValidationError(f"Kizen has no object {object!r}")
        if cursor is None:
            path = f"/api/activities/{quote(type_id, safe='')}/responses"
            request = self.build_request(
                "POST", path, params={"custom_object_id": object_id}, json={},
                kind="read", idempotent=True,
            )  # fmt: skip
        else:
            request = self.build_request(
                "POST", self._follow(cursor), json={}, kind="read", idempotent=True
            )
        response = yield request
        body = response.json()
        rows = body.get("results") if isinstance(body, Mapping) else body
        following = body.get("next") if isinstance(body, Mapping) else None
        notes: list[Note] = []
        for row in rows or ():
            if not isinstance(row, Mapping) or row.get("id") is None:
                continue
            raw = yield from self._logged(str(row["id"]))
            note = decode_note(raw, None, objects.get)
            if note is not None and note.parent.object == object:
                notes.append(note)
        return notes, following if isinstance(following, str) and following else None

    def list_notes(self, parent: Ref) -> Plan[list[Note]]:
        """The notes of ``parent``'s object whose parent it is, oldest first."""
        found: list[Note] = []
        cursor: str | None = None
        while True:
            page, cursor = yield from self.list_object_notes(parent.object, cursor)
            found.extend(n for n in page if n.parent == parent)
            if cursor is None:
                break
        return sorted(found, key=lambda n: (n.created_at is None, n.created_at))

    def get_note(self, id: str) -> Plan[Note]:
        raw = yield from self._logged(id)
        objects = yield from self._objects()
        note = decode_note(raw, None, objects.get)
        if note is None:
            raise NotFound(f"Kizen logged activity {id} is on no record", provider=self.name)
        return note
