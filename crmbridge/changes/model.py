"""The neutral change: what a feed (:meth:`crmbridge.Bridge.changes`) and a webhook delivery
(:mod:`crmbridge.webhooks`) report, whatever the CRM (docs/design.md §9 "Change feeds", issue 20).

A merge is reported as the loser's deletion with ``merged_into`` naming the record it went into
(Attio's ``record.merged`` event, docs/sync.md), so a consumer that only knows created / updated /
deleted still does the right thing, and one that cares can repoint references.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

import attrs

from ..model import Record

__all__ = ["KINDS", "Change", "ChangeKind"]

ChangeKind = Literal["created", "updated", "deleted"]
KINDS: tuple[ChangeKind, ...] = ("created", "updated", "deleted")


@attrs.frozen
class Change:
    """One change of one record.

    * ``kind``: ``created``, ``updated`` or ``deleted`` (archived records are deleted for a feed:
      they leave search and answer 404, docs/reference/kizen.md §7).
    * ``id``: the record's id; ``record``: the record as read (``None`` for a deletion, and for a
      webhook delivery, which carries ids only).
    * ``at``: when the CRM says the change happened where it says so (Kizen's ``updated``, a
      webhook's event time), else when the feed noticed it.
    * ``object``: the object's slug; ``merged_into``: for a deletion by merge, the surviving id.
    * ``cursor``: where to resume a feed right after this change (JSON-able; ``None`` for webhook
      deliveries). Not part of equality: the same change read twice is equal.
    """

    kind: ChangeKind = attrs.field(validator=attrs.validators.in_(KINDS))
    id: str
    record: Record | None = None
    at: dt.datetime | None = None
    object: str = ""
    merged_into: str | None = None
    cursor: Any = attrs.field(default=None, eq=False, repr=False)
