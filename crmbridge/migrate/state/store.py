"""What a migration keeps between runs, behind one interface (docs/design.md §9, "State store").

The engine (:mod:`crmbridge.migrate.engine`) only talks to :class:`StateStore`. What it keeps:

* the **id map**: for each migrated source record, its target record's id, the content hash of the
  values last written (an unchanged record is a ``noop`` with no request) and a digest per field
  of what the target held after that write (to notice edits made in the target since);
* **match value claims**: which source record each match value of a target object was written
  for, so that two source records with one match value are not merged unasked;
* **checkpoints**: per source object, the cursor of the first page not fully done;
* **pending failures**: records whose write failed and that no later run has written yet — they
  are retried by every run, ``--resume`` included, and keep the run from being ``ok``;
* **deferred references** for the second pass;
* the **mapping hash** per object (in ``meta``): a state is only trusted for the mapping it was
  made with;
* **runs** and their **changes** (what each run created, and the values it overwrote) for
  ``--runs`` and ``--undo``;
* the **lease**: one run at a time per state;
* change-feed cursors, in ``meta``.

This base class holds what every store does the same way — the in-memory id map and claims, and
the batch of rows written with the next checkpoint in one transaction — and leaves the storage
primitives (the abstract methods) to an implementation: :class:`~.sqlite.SQLiteStore` (a local
file) and :class:`~.postgres.PostgresStore` (a database several machines share, issue 22), without
touching the engine.
"""

from __future__ import annotations

import abc
import datetime as dt
import json
import os
import socket
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import attrs

from ...errors import ConfigError

__all__ = ["Change", "Holder", "IdEntry", "RunInfo", "StateLocked", "StateStore"]


class StateLocked(ConfigError):
    """Another run holds the state's lease."""


@attrs.frozen
class IdEntry:
    """One row of the id map."""

    target_object: str
    target_id: str
    #: Content hash of the values last written ("" once voided by a mapping change).
    hash: str
    #: Field → digest of what the target held right after the engine's last write.
    written: Mapping[str, str] | None = None


@attrs.frozen
class Holder:
    """Who holds a state's lease: a run on ``host`` as process ``pid`` since ``since`` (epoch
    seconds), until ``expires`` unless it renews it."""

    host: str
    pid: int
    since: float
    expires: float
    token: str

    @classmethod
    def me(cls, ttl: float) -> Holder:
        now = time.time()
        return cls(socket.gethostname(), os.getpid(), now, now + ttl, uuid.uuid4().hex)

    def describe(self) -> str:
        since = dt.datetime.fromtimestamp(self.since, dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        left = self.expires - time.time()
        return f"host {self.host}, pid {self.pid}, since {since} (lease expires in {left:.0f} s)"

    def dead_here(self) -> bool:
        """The holder ran on this host and its process is gone (killed, crashed): its lease can
        be taken at once, no need to wait for it to expire."""
        if self.host != socket.gethostname():
            return False
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:  # it exists, as another user
            return False
        return False


@attrs.frozen
class RunInfo:
    """One run of a migration, as ``crmbridge migrate --runs`` lists it."""

    id: str
    started: float
    command: str
    finished: float | None = None
    status: str = "running"
    counts: Mapping[str, int] = attrs.field(factory=dict)


#: What a run did to one target record, for ``--undo``.
CHANGE_KINDS = ("created", "updated", "unarchived", "archived", "deleted")


@attrs.frozen
class Change:
    """One target record a run wrote: ``before`` holds the previous values of the fields it
    overwrote (plain-dict form, ``None`` for a record it created); ``after`` the digests per field
    of what the target held after the write (to tell whether the record changed since)."""

    run: str
    kind: str
    target_object: str
    target_id: str
    source_object: str
    source_id: str
    before: Mapping[str, Any] | None
    after: Mapping[str, str]


@attrs.define
class _Batch:
    """Rows written with the next checkpoint, in one transaction."""

    ids: list[tuple[str, str, IdEntry]] = attrs.field(factory=list)
    forgotten: list[tuple[str, str]] = attrs.field(factory=list)
    keys: list[tuple[str, str, str, str]] = attrs.field(factory=list)
    #: ``(source_object, source_id, error)`` in order; ``error`` ``None``: no longer pending.
    pending: list[tuple[str, str, str | None]] = attrs.field(factory=list)
    changes: list[Change] = attrs.field(factory=list)

    def __bool__(self) -> bool:
        return any(attrs.astuple(self, recurse=False))

    def clear(self) -> None:
        for rows in attrs.astuple(self, recurse=False):
            rows.clear()


def new_run_id() -> str:
    """Sortable and readable: ``20261203T130512Z-3fa2``."""
    return f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:4]}"


class StateStore(abc.ABC):
    """A migration's state. ``location`` names it in messages (never with a secret)."""

    location: str

    def __init__(self) -> None:
        self._ids: dict[str, dict[str, IdEntry]] = {}
        self._keys: dict[str, dict[str, tuple[str, str]]] = {}
        self._held: dict[tuple[str, tuple[str, str]], list[str]] = {}
        self._pending: dict[str, dict[str, str]] = {}
        self._batch = _Batch()
        self._holder: Holder | None = None

    # --- id map ------------------------------------------------------------------------------

    def _entries(self, source_object: str) -> dict[str, IdEntry]:
        ids = self._ids.get(source_object)
        if ids is None:
            ids = self._ids[source_object] = self._load_ids(source_object)
        return ids

    def entry(self, source_object: str, source_id: str) -> IdEntry | None:
        return self._entries(source_object).get(source_id)

    def target_id(self, source_object: str, source_id: str) -> str | None:
        """The target id a source record was migrated to, if it was."""
        found = self._entries(source_object).get(source_id)
        return found.target_id if found else None

    def hash_of(self, source_object: str, source_id: str) -> str | None:
        found = self._entries(source_object).get(source_id)
        return found.hash if found else None

    def source_ids(self, source_object: str) -> set[str]:
        """Every source record of ``source_object`` the id map holds."""
        return set(self._entries(source_object))

    def record(
        self,
        source_object: str,
        source_id: str,
        target_object: str,
        target_id: str,
        hash: str,
        written: Mapping[str, str] | None = None,
    ) -> None:
        """Remember a write (kept in memory until :meth:`commit`); the record is no longer
        pending."""
        if written is None:
            before = self._entries(source_object).get(source_id)
            written = before.written if before is not None else None
        entry = IdEntry(target_object, target_id, hash, written)
        self._entries(source_object)[source_id] = entry
        self._batch.ids.append((source_object, source_id, entry))
        self.written_ok(source_object, source_id)

    def forget(self, source_object: str, source_id: str) -> None:
        """The source record is gone and its target record was archived or deleted."""
        self._entries(source_object).pop(source_id, None)
        owner = (source_object, source_id)
        for claimed in self._keys.values():
            for key in [k for k, o in claimed.items() if o == owner]:
                del claimed[key]
        self._batch.forgotten.append(owner)
        self.written_ok(source_object, source_id)

    def count(self, source_object: str) -> int:
        return len(self._entries(source_object))

    # --- pending failures --------------------------------------------------------------------

    def pending(self, source_object: str) -> dict[str, str]:
        """Source id → error of the records of ``source_object`` not written yet."""
        found = self._pending.get(source_object)
        if found is None:
            found = self._pending[source_object] = self._load_pending(source_object)
        return found

    def failed(self, source_object: str, source_id: str, error: str) -> None:
        """A record's write failed: it stays pending until a run writes it."""
        self.pending(source_object)[source_id] = error
        self._batch.pending.append((source_object, source_id, error))

    def written_ok(self, source_object: str, source_id: str) -> None:
        """A record needs no more work (written, or gone): no longer pending."""
        if self.pending(source_object).pop(source_id, None) is not None:
            self._batch.pending.append((source_object, source_id, None))

    # --- match values ------------------------------------------------------------------------

    def claim(
        self, target_object: str, keys: Iterable[str], owner: tuple[str, str]
    ) -> tuple[str, str] | None:
        """Claim the match values ``keys`` of ``target_object`` for ``owner`` (``(source_object,
        source_id)``) while its write is in flight, unless one of them already belongs to another
        source record: then nothing is claimed and that record is returned. Claiming again for
        the same owner is a no-op. The caller ends a claim with :meth:`keep` once the write
        succeeded, or :meth:`release` when it did not."""
        claimed = self._keys.get(target_object)
        if claimed is None:
            claimed = self._keys[target_object] = self._load_claims(target_object)
        keys = list(keys)
        for key in keys:
            other = claimed.get(key)
            if other is not None and other != owner:
                return other
        new = [key for key in keys if key not in claimed]
        for key in new:
            claimed[key] = owner
        self._held[(target_object, owner)] = new
        return None

    def keep(self, target_object: str, owner: tuple[str, str], *, persist: bool = True) -> None:
        """The write succeeded: the claim stays (written with the next :meth:`commit` unless
        ``persist`` is false, as in a dry run, which must leave no trace)."""
        new = self._held.pop((target_object, owner), [])
        if persist:
            self._batch.keys.extend((target_object, key, *owner) for key in new)

    def release(self, target_object: str, owner: tuple[str, str]) -> None:
        """The write failed: the values it claimed are free again."""
        claimed = self._keys.get(target_object, {})
        for key in self._held.pop((target_object, owner), []):
            if claimed.get(key) == owner:
                del claimed[key]

    # --- the mapping -------------------------------------------------------------------------

    def mapping_hash(self, source_object: str) -> str | None:
        """The hash of the mapping ``source_object``'s records were written with."""
        return self.get_meta(f"mapping:{source_object}")

    def bind_mapping(self, source_object: str, digest: str, *, target_object: str) -> bool:
        """Bind ``source_object`` to the mapping hashed ``digest``. With another mapping before,
        the object is re-planned: its content hashes are void (every record is written again,
        the upsert telling what really changed) and its checkpoint restarts; if it went to another
        target object, its id map and claims are dropped too (those ids are another object's).
        Returns whether it was re-planned."""
        before = self.mapping_hash(source_object)
        if before == digest:
            return False
        self.flush()
        if before is not None:
            entries = self._entries(source_object).values()
            moved = any(e.target_object != target_object for e in entries)
            self._void(source_object, drop_ids=moved)
            self._ids.pop(source_object, None)
            self._keys.clear()
        self.set_meta(f"mapping:{source_object}", digest)
        return before is not None

    # --- change-feed cursors ------------------------------------------------------------------

    def cursor(self, name: str) -> Any:
        """The JSON-able change-feed cursor saved under ``name`` (``None``: none yet), for a sync
        that continues from where the last one stopped (docs/design.md §9, "Change feeds")."""
        saved = self.get_meta(f"cursor:{name}")
        return None if saved is None else json.loads(saved)

    def set_cursor(self, name: str, cursor: Any) -> None:
        self.set_meta(f"cursor:{name}", dumps(cursor))

    # --- checkpoints and batches -------------------------------------------------------------

    def commit(self, source_object: str, cursor: Any, *, complete: bool = False) -> None:
        """Write the pending rows and the checkpoint in one transaction."""
        self._save(self._batch, (source_object, cursor, complete))
        self._batch.clear()

    def flush(self) -> None:
        """Write the pending rows (without touching checkpoints)."""
        if self._batch:
            self._save(self._batch, None)
            self._batch.clear()

    # --- runs --------------------------------------------------------------------------------

    def log_change(self, change: Change) -> None:
        """Remember what a run did to a target record (written with the next commit)."""
        self._batch.changes.append(change)

    # --- the lease ---------------------------------------------------------------------------

    def acquire(self, ttl: float, *, force: bool = False) -> Holder:
        """Take the lease for this process, or raise :class:`StateLocked` naming its holder.
        A lease whose holder is gone (expired, or its process dead on this host) is taken over;
        ``force`` takes it whatever its state (``--force-unlock``)."""
        me = Holder.me(ttl)

        def takeable(current: Holder) -> bool:
            return force or current.expires <= time.time() or current.dead_here()

        other = self._lease_take(me, takeable)
        if other is not None:
            raise StateLocked(
                f"another migration is running on the state {self.location}: "
                f"{other.describe()}. Wait for it to finish, or if it is gone, run again after "
                "its lease expires or with --force-unlock",
                code="state_locked",
            )
        self._holder = me
        return me

    def renew(self, ttl: float) -> None:
        """Extend the lease; raise :class:`StateLocked` if another run took it meanwhile."""
        if self._holder is None:
            return
        holder = attrs.evolve(self._holder, expires=time.time() + ttl)
        if not self._lease_renew(holder):
            self._holder = None
            raise StateLocked(
                f"this run lost its lease on the state {self.location} (--force-unlock by "
                "another run?); stopped to leave that run alone",
                code="state_locked",
            )
        self._holder = holder

    def release_lease(self) -> None:
        if self._holder is not None:
            self._lease_drop(self._holder)
            self._holder = None

    # --- storage primitives (an implementation's job) ----------------------------------------

    @abc.abstractmethod
    def _load_ids(self, source_object: str) -> dict[str, IdEntry]: ...

    @abc.abstractmethod
    def _load_claims(self, target_object: str) -> dict[str, tuple[str, str]]: ...

    @abc.abstractmethod
    def _load_pending(self, source_object: str) -> dict[str, str]: ...

    @abc.abstractmethod
    def _save(self, batch: _Batch, checkpoint: tuple[str, Any, bool] | None) -> None:
        """Write ``batch`` (and the checkpoint ``(source_object, cursor, complete)``) in one
        transaction."""

    @abc.abstractmethod
    def _void(self, source_object: str, *, drop_ids: bool) -> None:
        """Void ``source_object``'s content hashes and checkpoint (and with ``drop_ids`` its
        id map rows, deferred references and claims)."""

    @abc.abstractmethod
    def checkpoint(self, source_object: str) -> tuple[Any, bool]:
        """``(cursor, complete)`` saved for ``source_object`` (``(None, False)`` if none)."""

    @abc.abstractmethod
    def reset_checkpoints(self) -> None:
        """Start reading every object from its first page again (id map and hashes are kept)."""

    @abc.abstractmethod
    def defer(
        self, source_object: str, source_id: str, target_id: str, values: Any, refs: Any
    ) -> None: ...

    @abc.abstractmethod
    def deferred(self) -> Iterator[tuple[str, str, str, Any, Any]]: ...

    @abc.abstractmethod
    def resolved(self, source_object: str, source_id: str) -> None: ...

    @abc.abstractmethod
    def get_meta(self, key: str) -> str | None: ...

    @abc.abstractmethod
    def set_meta(self, key: str, value: str) -> None: ...

    @abc.abstractmethod
    def _lease_take(self, me: Holder, takeable: Callable[[Holder], bool]) -> Holder | None:
        """In one transaction: write ``me`` as the holder unless another holder's lease is not
        ``takeable``; return that holder then (``None`` when ``me`` holds it)."""

    @abc.abstractmethod
    def _lease_renew(self, me: Holder) -> bool:
        """Update the holder's expiry if ``me.token`` still holds the lease."""

    @abc.abstractmethod
    def _lease_drop(self, me: Holder) -> None: ...

    @abc.abstractmethod
    def start_run(self, run: RunInfo) -> None: ...

    @abc.abstractmethod
    def finish_run(self, run_id: str, status: str, counts: Mapping[str, int]) -> None: ...

    @abc.abstractmethod
    def runs(self) -> list[RunInfo]:
        """Every run, oldest first."""

    @abc.abstractmethod
    def changes(self, run_id: str) -> list[Change]:
        """What run ``run_id`` did, in the order it did it."""

    @abc.abstractmethod
    def close(self) -> None: ...


def dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
