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

This base class holds what every store does the same way — a bounded cache of id map rows and
claims in front of the database, and the batch of rows written with the next checkpoint in one
transaction — and leaves the storage primitives (the abstract methods) to an implementation: :class:`~.sqlite.SQLiteStore` (a local
file) and :class:`~.postgres.PostgresStore` (a database several machines share, issue 22), without
touching the engine.
"""

from __future__ import annotations

import abc
import datetime as dt
import heapq
import itertools
import json
import os
import socket
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, ItemsView, Iterable, Iterator, Mapping
from typing import Any, TypeVar

import attrs

from ...errors import ConfigError

__all__ = ["Change", "Digests", "Holder", "IdEntry", "RunInfo", "StateLocked", "StateStore"]

#: Id map rows and match value claims kept in memory (least recently used dropped first), each:
#: enough for the pages in flight (a page of up to 1,000 records, the next one read ahead, and
#: the records they reference), so a page is read from the database in one query and its rows are
#: still cached when its records are written; beyond that, memory does not grow with the number
#: of records (issue 24). A row dropped from the cache is read again when asked for. 5,000 (it
#: was 10,000): the two pages and their references are at most 4,000, and the smaller cache took
#: ~4 MB off the peak of a migration of 10,000 and of 100,000 records (bench/engine_memory.py,
#: docs/benchmarks.md "Engine memory and re-run").
CACHE_ROWS = 5_000
#: Rows per ``IN (...)`` query: under SQLite's default limit of bound parameters
#: (https://www.sqlite.org/limits.html#max_variable_number, 32,766; 999 before 3.32).
QUERY_CHUNK = 500

_K = TypeVar("_K")
_V = TypeVar("_V")


class _Cache(OrderedDict[_K, _V]):
    """A least-recently-used mapping of at most ``size`` entries (``get`` refreshes one)."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def put(self, key: _K, value: _V) -> None:
        self[key] = value
        self.move_to_end(key)
        while len(self) > self.size:
            self.popitem(last=False)

    def look(self, key: _K) -> tuple[bool, _V | None]:
        """``(found, value)``; a found entry becomes the most recently used."""
        if key not in self:
            return False, None
        self.move_to_end(key)
        return True, self[key]


def chunks(items: Iterable[_K], size: int = QUERY_CHUNK) -> Iterator[list[_K]]:
    """``items`` in lists of at most ``size`` (one ``IN (...)`` query each)."""
    it = iter(items)
    while chunk := list(itertools.islice(it, size)):
        yield chunk


class StateLocked(ConfigError):
    """Another run holds the state's lease."""


class Digests(Mapping[str, str]):
    """An id map row's ``written`` (field → digest) held as the compact JSON text the store
    saves, parsed when read. The id map cache holds 10,000 rows; as a dict with its key and
    digest strings a row's digests took ~0.7 KB, ~6 MB of the cache (tracemalloc,
    docs/benchmarks.md "Third pass: what grew"), as text ~0.3 KB. They are read only when the
    row's record is written again, a few times per write."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    @classmethod
    def of(cls, written: Mapping[str, str]) -> Digests:
        return written if isinstance(written, Digests) else cls(dumps(dict(written)))

    def parsed(self) -> dict[str, str]:
        found: dict[str, str] = json.loads(self.text)
        return found

    def __getitem__(self, key: str) -> str:
        return self.parsed()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.parsed())

    def __len__(self) -> int:
        return len(self.parsed())

    def items(self) -> ItemsView[str, str]:  # one parse, not one per key
        return self.parsed().items()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Mapping):
            return self.parsed() == dict(other.items())
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(self.parsed())


@attrs.frozen
class IdEntry:
    """One row of the id map."""

    target_object: str
    target_id: str
    #: Content hash of the values last written ("" once voided by a mapping change).
    hash: str
    #: Field → digest of what the target held right after the engine's last write.
    written: Mapping[str, str] | None = None
    #: Digest of the source record's read fields as its page answered them, beside ``hash``: an
    #: unchanged record is then known before it is decoded (crmbridge/migrate/fingerprint.py).
    source: str | None = None


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

    def __init__(self, cache_rows: int = CACHE_ROWS) -> None:
        if cache_rows < 1:
            raise ValueError(f"cache_rows must be at least 1, got {cache_rows}")
        #: Id map rows as the database has them (``None``: no row), least recently used first.
        self._ids: _Cache[tuple[str, str], IdEntry | None] = _Cache(cache_rows)
        #: Id map rows written or forgotten since the last save (``None``: forgotten); bounded by
        #: what the engine writes between two flushes (a page, or a second).
        self._dirty: dict[tuple[str, str], IdEntry | None] = {}
        #: Claims as the database has them (``None``: unclaimed), least recently used first.
        self._claims: _Cache[tuple[str, str], tuple[str, str] | None] = _Cache(cache_rows)
        #: Claims not in the database: in flight, kept but not saved yet, or kept without
        #: persisting (a dry run).
        self._live: dict[tuple[str, str], tuple[str, str]] = {}
        self._held: dict[tuple[str, tuple[str, str]], list[str]] = {}
        #: Database queries made for id map rows and claims (tests bound it per page).
        self.queries = 0
        self._pending: dict[str, dict[str, str]] = {}
        self._batch = _Batch()
        self._holder: Holder | None = None

    # --- id map ------------------------------------------------------------------------------

    def load(self, source_object: str, source_ids: Iterable[str]) -> None:
        """Read the id map rows of ``source_ids`` not in memory yet, in one query per
        :data:`QUERY_CHUNK` ids: the engine calls it once per page, before the page's records
        (and the records they reference) are looked up one by one."""
        missing = set()
        for sid in source_ids:
            key = (source_object, sid)
            if key in self._ids:
                self._ids.move_to_end(key)  # wanted now: not the next to be dropped
            elif key not in self._dirty:
                missing.add(sid)
        for chunk in chunks(sorted(missing)):
            self.queries += 1
            found = self._load_entries(source_object, chunk)
            for sid in chunk:
                self._ids.put((source_object, sid), found.get(sid))

    def entry(self, source_object: str, source_id: str) -> IdEntry | None:
        key = (source_object, source_id)
        if key in self._dirty:
            return self._dirty[key]
        cached, found = self._ids.look(key)
        if not cached:
            self.load(source_object, [source_id])
            found = self._ids.get(key)
        return found

    def target_id(self, source_object: str, source_id: str) -> str | None:
        """The target id a source record was migrated to, if it was."""
        found = self.entry(source_object, source_id)
        return found.target_id if found else None

    def hash_of(self, source_object: str, source_id: str) -> str | None:
        found = self.entry(source_object, source_id)
        return found.hash if found else None

    def source_ids(self, source_object: str) -> set[str]:
        """Every source record of ``source_object`` the id map holds, in one set (for tests and
        small objects: :meth:`each_source_id` reads them a page at a time)."""
        return set(self.each_source_id(source_object))

    def each_source_id(self, source_object: str) -> Iterator[str]:
        """The source records of ``source_object`` the id map holds, in order, read
        :data:`QUERY_CHUNK` at a time (keyset pagination), so a pass over every migrated record
        (the notes of a source that lists them per record) holds a page of ids, not all of them
        (issue 24: a set and a sorted list of 100,000 ids were ~10 MB)."""
        added = sorted(
            sid for (obj, sid), e in self._dirty.items() if obj == source_object and e is not None
        )
        gone = {sid for (obj, sid), e in self._dirty.items() if obj == source_object and e is None}
        last = None
        for sid in heapq.merge(self._saved_source_ids(source_object), added):
            if sid != last and sid not in gone:
                yield sid
            last = sid

    def _saved_source_ids(self, source_object: str) -> Iterator[str]:
        after = ""
        while True:
            page = self._source_ids_after(source_object, after, QUERY_CHUNK)
            yield from page
            if len(page) < QUERY_CHUNK:
                return
            after = page[-1]

    def target_known(self, target_object: str, target_id: str) -> bool:
        """Whether some source record's id map row points at this target record (written by
        this run or an earlier one)."""
        for entry in self._dirty.values():
            if entry is not None and (entry.target_object, entry.target_id) == (
                target_object,
                target_id,
            ):
                return True
        self.queries += 1
        return self._target_known(target_object, target_id)

    def record(
        self,
        source_object: str,
        source_id: str,
        target_object: str,
        target_id: str,
        hash: str,
        written: Mapping[str, str] | None = None,
        source: str | None = None,
    ) -> None:
        """Remember a write (kept in memory until :meth:`commit`); the record is no longer
        pending. ``source``: the digest of the source record it was written from
        (:attr:`IdEntry.source`; ``None``: none kept). A record now written to another target
        record counts as retargeted (:meth:`retargeted`)."""
        before = self.entry(source_object, source_id)
        if written is None:
            written = before.written if before is not None else None
        if before is not None and (before.target_object, before.target_id) != (
            target_object,
            target_id,
        ):
            self._retarget(source_object)
        entry = IdEntry(target_object, target_id, hash, written, source)
        self._dirty[(source_object, source_id)] = entry
        self._batch.ids.append((source_object, source_id, entry))
        self.written_ok(source_object, source_id)

    def forget(self, source_object: str, source_id: str) -> None:
        """The source record is gone and its target record was archived or deleted (or
        ``--undo`` removed what a run created): it counts as retargeted (:meth:`retargeted`)."""
        self._retarget(source_object)
        owner = (source_object, source_id)
        self._dirty[owner] = None
        for claims in (self._claims, self._live):
            for key in [k for k, o in claims.items() if o == owner]:
                del claims[key]
        self._batch.forgotten.append(owner)
        self.written_ok(source_object, source_id)

    def retargeted(self, source_object: str) -> int:
        """How many times a migrated record of ``source_object`` was written to another target
        record, or forgotten: the records that reference it change their target values though
        their source did not, so a digest kept with them is valid only while this number is the
        same (crmbridge/migrate/fingerprint.py). Kept in ``meta``."""
        return int(self.get_meta(f"retargeted:{source_object}") or 0)

    def _retarget(self, source_object: str) -> None:
        self.set_meta(f"retargeted:{source_object}", str(self.retargeted(source_object) + 1))

    def count(self, source_object: str) -> int:
        return sum(1 for _ in self.each_source_id(source_object))

    def held_rows(self) -> int:
        """Id map rows and claims this store holds in memory: at most twice its cache size,
        plus what was written since the last save and the claims of writes in flight."""
        return len(self._ids) + len(self._dirty) + len(self._claims) + len(self._live)

    # --- seen in this scan ---------------------------------------------------------------------

    def mark_seen(self, source_object: str, source_ids: Iterable[str]) -> None:
        """Remember, for this process only (never written to the state: a dry run marks too),
        that a complete scan read these records; :meth:`unseen` names the id map's others."""
        ids = list(source_ids)
        if ids:
            self._mark_seen(source_object, ids)

    def unseen(self, source_object: str) -> list[str]:
        """The id map's records of ``source_object`` not marked by :meth:`mark_seen` since
        :meth:`clear_seen`, in order (the candidates of a gone record: few, unless the source
        lost most of its records)."""
        dirty_new = {
            sid for (obj, sid), e in self._dirty.items() if obj == source_object and e is not None
        }
        dirty_gone = {
            sid for (obj, sid), e in self._dirty.items() if obj == source_object and e is None
        }
        found = set(self._unseen(source_object)) - dirty_gone
        found |= {sid for sid in dirty_new if sid not in found and not self._was_seen(
            source_object, sid)}  # fmt: skip
        return sorted(found)

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

    def load_claims(self, target_object: str, keys: Iterable[str]) -> None:
        """Read the claims of ``keys`` not in memory yet, in one query per :data:`QUERY_CHUNK`
        keys (once per page, as :meth:`load`)."""
        missing = set()
        for key in keys:
            if (target_object, key) in self._claims:
                self._claims.move_to_end((target_object, key))
            elif (target_object, key) not in self._live:
                missing.add(key)
        for chunk in chunks(sorted(missing)):
            self.queries += 1
            found = self._load_claims(target_object, chunk)
            for key in chunk:
                self._claims.put((target_object, key), found.get(key))

    def _owner(self, target_object: str, key: str) -> tuple[str, str] | None:
        live = self._live.get((target_object, key))
        if live is not None:
            return live
        cached, owner = self._claims.look((target_object, key))
        if not cached:
            self.load_claims(target_object, [key])
            owner = self._claims.get((target_object, key))
        return owner

    def claim(
        self, target_object: str, keys: Iterable[str], owner: tuple[str, str]
    ) -> tuple[str, str] | None:
        """Claim the match values ``keys`` of ``target_object`` for ``owner`` (``(source_object,
        source_id)``) while its write is in flight, unless one of them already belongs to another
        source record: then nothing is claimed and that record is returned. Claiming again for
        the same owner is a no-op. The caller ends a claim with :meth:`keep` once the write
        succeeded, or :meth:`release` when it did not."""
        keys = list(keys)
        self.load_claims(target_object, keys)
        owners = {key: self._owner(target_object, key) for key in keys}
        for other in owners.values():
            if other is not None and other != owner:
                return other
        new = [key for key in keys if owners[key] is None]
        for key in new:
            self._live[(target_object, key)] = owner
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
        for key in self._held.pop((target_object, owner), []):
            if self._live.get((target_object, key)) == owner:
                del self._live[(target_object, key)]

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
            moved = self._moved(source_object, target_object)
            if moved:
                self._retarget(source_object)
            self._void(source_object, drop_ids=moved)
            self._ids.clear()
            self._claims.clear()
            if moved:
                self._live = {k: o for k, o in self._live.items() if o[0] != source_object}
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
        self._saved()

    def flush(self) -> None:
        """Write the pending rows (without touching checkpoints)."""
        if self._batch:
            self._save(self._batch, None)
            self._saved()

    def _saved(self) -> None:
        """The batch is in the database: its rows move from the in-memory overlays to the
        caches."""
        for row, entry in self._dirty.items():
            if entry is not None and entry.written is not None:
                entry = attrs.evolve(entry, written=Digests.of(entry.written))
            self._ids.put(row, entry)
        self._dirty.clear()
        for target_object, key, obj, sid in self._batch.keys:
            if self._live.get((target_object, key)) == (obj, sid):
                del self._live[(target_object, key)]
            self._claims.put((target_object, key), (obj, sid))
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
    def _load_entries(self, source_object: str, source_ids: list[str]) -> dict[str, IdEntry]:
        """The id map rows of ``source_ids`` (at most :data:`QUERY_CHUNK`) in one query."""

    @abc.abstractmethod
    def _source_ids_after(self, source_object: str, after: str, limit: int) -> list[str]:
        """Up to ``limit`` saved source ids of ``source_object`` greater than ``after``, in
        order (code point order, as Python sorts strings)."""

    @abc.abstractmethod
    def _target_known(self, target_object: str, target_id: str) -> bool: ...

    @abc.abstractmethod
    def _moved(self, source_object: str, target_object: str) -> bool:
        """Whether an id map row of ``source_object`` points into another target object."""

    @abc.abstractmethod
    def _load_claims(self, target_object: str, keys: list[str]) -> dict[str, tuple[str, str]]:
        """The claims of ``keys`` (at most :data:`QUERY_CHUNK`) in one query."""

    @abc.abstractmethod
    def clear_seen(self, source_object: str) -> None:
        """Forget which records of ``source_object`` a scan read (:meth:`mark_seen`)."""

    @abc.abstractmethod
    def _mark_seen(self, source_object: str, source_ids: list[str]) -> None: ...

    @abc.abstractmethod
    def _was_seen(self, source_object: str, source_id: str) -> bool: ...

    @abc.abstractmethod
    def _unseen(self, source_object: str) -> Iterator[str]:
        """The id map's saved rows of ``source_object`` not marked seen."""

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
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=_plain)


def _plain(value: Any) -> Any:
    return value.parsed() if isinstance(value, Digests) else str(value)
