"""Handlers for list entries: query, create, assert by parent, get, append/overwrite, delete,
attribute values (docs/reference/attio.md §4, entries rows).

Entries may repeat a parent (create allows duplicates); asserting by parent with more than one entry
is 400 ``multiple_match_results`` and changing an entry's parent is 400 ``immutable_value`` (the
spec's example messages).
"""

from __future__ import annotations

from typing import Any

from . import errors
from .handlers import Call, Reply
from .handlers_records import RecordsApi, attribute_values, page
from .schema import ListDef
from .store import Entry
from .writes import Mode

__all__ = ["EntriesApi"]


class EntriesApi(RecordsApi):
    def _entry(self, lst: ListDef, entry_id: str) -> Entry:
        entry = self.ws.table(lst).rows.get(entry_id)
        if not isinstance(entry, Entry):
            raise errors.not_found(f'List entry with ID "{entry_id}" not found.')
        return entry

    def _entry_reply(self, lst: ListDef, entry: Entry) -> Reply:
        return Reply({"data": self.ws.render_entry(lst, entry)})

    def query_entries(self, call: Call, lst: str) -> Reply:
        found = self.list(lst)
        rows, headers = page(self, found, self.ws.table(found), call.body)
        render = self.ws.render_entry
        return Reply(
            {"data": [render(found, r) for r in rows if isinstance(r, Entry)]}, headers=headers
        )

    def _parent(self, lst: ListDef, data: dict[str, Any]) -> tuple[str, str]:
        record_id = data["parent_record_id"]
        parent_key = data["parent_object"]
        obj = self.ws.object(str(parent_key))
        if obj is None or obj.api_slug != lst.parent_object:
            raise errors.value_not_found(f'Object with slug/ID "{parent_key}" not found.')
        if not isinstance(record_id, str) or record_id not in self.ws.table(obj).rows:
            raise errors.value_not_found(f'Parent record with slug/ID "{record_id}" not found.')
        return obj.api_slug, record_id

    def create_entry(self, call: Call, lst: str) -> Reply:
        found = self.list(lst)
        data = self.data(call, "parent_record_id", "parent_object", "entry_values")
        parent_object, parent_record_id = self._parent(found, data)
        entry = self.create_entry_row(
            found, parent_object, parent_record_id, data["entry_values"], call.now
        )
        return self._entry_reply(found, entry)

    def create_entry_row(
        self, lst: ListDef, parent_object: str, parent_record_id: str, values: Any, now: str
    ) -> Entry:
        actor = self.ws.api_actor()
        table = self.ws.table(lst)
        changes = self.writer.plan(
            table, None, self.writer.parse(lst, values, "entry_values"), "create"
        )
        entry = Entry(
            id=self.ws.ids.new(),
            stamp=self.writer.stamp(now, actor),
            parent_record_id=parent_record_id,
            parent_object=parent_object,
        )
        self._system_values(lst, entry)
        table.insert(entry)
        self.writer.apply(table, entry, changes, now, actor, prepend=False)
        return entry

    def assert_entry(self, call: Call, lst: str) -> Reply:
        found = self.list(lst)
        data = self.data(call, "parent_record_id", "parent_object", "entry_values")
        parent_object, parent_record_id = self._parent(found, data)
        table = self.ws.table(found)
        matches = [
            e
            for e in table.ordered()
            if isinstance(e, Entry) and e.parent_record_id == parent_record_id
        ]
        if len(matches) > 1:
            raise errors.bad_request(
                "multiple_match_results",
                "Multiple entries were founds for the given parent record. Please remove duplicates "
                "or use the update or create entry endpoints instead.",
            )
        if not matches:
            entry = self.create_entry_row(
                found, parent_object, parent_record_id, data["entry_values"], call.now
            )
            return self._entry_reply(found, entry)
        entry = matches[0]
        parsed = self.writer.parse(found, data["entry_values"], "entry_values")
        changes = self.writer.plan(table, entry, parsed, "overwrite")
        self.writer.apply(table, entry, changes, call.now, self.ws.api_actor(), prepend=True)
        return self._entry_reply(found, entry)

    def get_entry(self, call: Call, lst: str, entry_id: str) -> Reply:
        found = self.list(lst)
        return self._entry_reply(found, self._entry(found, entry_id))

    def update_entry(self, call: Call, lst: str, entry_id: str) -> Reply:
        found = self.list(lst)
        entry = self._entry(found, entry_id)
        data = self.data(call, "entry_values")
        new_parent = data.get("parent_record_id")
        if new_parent is not None and new_parent != entry.parent_record_id:
            raise errors.bad_request(
                "immutable_value",
                "The parent record for a list entry cannot be updated once created.",
            )
        mode: Mode = "append" if call.method == "PATCH" else "overwrite"
        table = self.ws.table(found)
        changes = self.writer.plan(
            table, entry, self.writer.parse(found, data["entry_values"], "entry_values"), mode
        )
        self.writer.apply(table, entry, changes, call.now, self.ws.api_actor(), prepend=True)
        return self._entry_reply(found, entry)

    def delete_entry(self, call: Call, lst: str, entry_id: str) -> Reply:
        found = self.list(lst)
        entry = self._entry(found, entry_id)
        self.ws.table(found).remove(entry)
        return Reply({})

    def entry_values(self, call: Call, lst: str, entry_id: str, attribute: str) -> Reply:
        found = self.list(lst)
        entry = self._entry(found, entry_id)
        return Reply({"data": attribute_values(self, call, found, entry, attribute)})
