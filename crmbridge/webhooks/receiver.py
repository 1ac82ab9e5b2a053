"""From a delivery's bytes to neutral :class:`~crmbridge.Change`\\ s: verify the signature, parse
the body with the provider's :meth:`~crmbridge.Provider.webhook_events`, resolve object ids to
slugs through the schema, and drop redeliveries and repeats (:mod:`.dedupe`)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import attrs

from ..changes.model import Change
from ..errors import ConfigError, ValidationError
from ..plugins import get_provider
from ..provider import Provider, Secret
from .dedupe import Deduper
from .signature import verify

if TYPE_CHECKING:
    from ..bridge import Bridge

__all__ = ["Delivery", "WebhookReceiver"]

#: Object ids → slugs: a mapping, a function giving one, or a connection whose objects list it.
Objects = Mapping[str, str] | Callable[[], Mapping[str, str]] | Any


@attrs.frozen
class Delivery:
    """A verified, parsed delivery: its idempotency key and its changes (object slugs)."""

    key: str | None
    changes: tuple[Change, ...]


class WebhookReceiver:
    """Verifies and parses deliveries for one provider and one webhook secret.

    ``objects`` resolves the object ids deliveries carry: a ``{id: slug}`` mapping, a function
    returning one, or a :class:`~crmbridge.Bridge` (its cached ``objects()``); it is asked again
    once when an id is unknown (an object created since). Without it, changes carry the ids."""

    def __init__(
        self,
        provider: str | type[Provider],
        secret: str | Secret,
        *,
        objects: Objects = None,
        deduper: Deduper | None = None,
    ) -> None:
        cls = get_provider(provider) if isinstance(provider, str) else provider
        if not cls.webhook_signature_headers:
            raise ConfigError(
                f"{cls.name} sends no signed webhooks; use crmbridge.webhooks.poll() "
                "(virtual webhooks fed by changes()) instead"
            )
        self.provider = cls
        self.use_secret(secret)
        self._objects = objects
        self._slugs: dict[str, str] = {}
        self.deduper = deduper or Deduper()
        self.lock = threading.Lock()

    def use_secret(self, secret: str | Secret) -> None:
        """Verify deliveries with ``secret`` from now on (a webhook's secret is known only once
        the webhook is created, after the receiver's URL is)."""
        raw = secret.reveal() if isinstance(secret, Secret) else secret
        if not isinstance(raw, str) or not raw.strip():
            raise ConfigError("a webhook secret must be a non-empty string")
        self._secret = Secret(raw.strip())

    def __repr__(self) -> str:
        return f"<WebhookReceiver {self.provider.name} secret=********>"

    # --- parsing -----------------------------------------------------------------------------

    def open(self, body: bytes, headers: Mapping[str, str]) -> Delivery:
        """Verify and parse one delivery (no deduplication). Raises
        :class:`~crmbridge.webhooks.SignatureRefused` or :class:`~crmbridge.ValidationError`."""
        verify(self._secret, body, headers, self.provider.webhook_signature_headers)
        try:
            payload = json.loads(body)
        except ValueError:
            raise ValidationError("webhook delivery refused: the body is not JSON") from None
        events = self.provider.webhook_events(payload)
        changes = tuple(
            Change(e.kind, e.record_id, None, e.at, self._slug(e.object_id), e.merged_into)
            for e in events
        )
        name = self.provider.webhook_idempotency_header
        lowered = {k.lower(): v for k, v in headers.items()}
        key = lowered.get(name.lower()) if name else None
        return Delivery(key, changes)

    def _slug(self, object_id: str) -> str:
        if object_id not in self._slugs:
            self._slugs.update(self._load())
        return self._slugs.get(object_id, object_id)

    def _load(self) -> Mapping[str, str]:
        source = self._objects
        if source is None:
            return {}
        if isinstance(source, Mapping):
            return source
        if callable(source) and not hasattr(source, "objects"):
            return dict(source())
        bridge: Bridge = source
        found = bridge.objects(refresh=bool(self._slugs))
        return {o.provider_id or o.slug: o.slug for o in found} | {o.slug: o.slug for o in found}

    # --- handling ----------------------------------------------------------------------------

    def fresh(self, delivery: Delivery) -> list[Change]:
        """The changes of ``delivery`` not yet taken: none for a redelivery, and no change of
        a record already reported within the dedupe window (that one is folded: handed on once
        more when the window closes, :meth:`trailing`)."""
        if self.deduper.seen_key(delivery.key):
            return []
        out: list[Change] = []
        for change in delivery.changes:
            if self.deduper.seen_change(change.object, change.id, change.kind):
                self.deduper.fold(change)
            else:
                out.append(change)
        return out

    def trailing(self, callback: Callable[[Change], Any], *, every: bool = False) -> list[Change]:
        """Hand on the folded changes whose window has closed (all of them with ``every=True``),
        each starting a new window. If ``callback`` raises, that change and the ones after it
        wait for the next window, and the error propagates. :class:`~crmbridge.webhooks.WebhookApp`
        calls this on a timer; a server calling :meth:`handle` itself calls it when
        ``deduper.next_due()`` says (and :meth:`handle` calls it first)."""
        with self.lock:
            due = self.deduper.due(every=every)
            for index, change in enumerate(due):
                try:
                    callback(change)
                except BaseException:
                    for waiting in due[index:]:
                        self.deduper.add_change(waiting.object, waiting.id, waiting.kind)
                        self.deduper.fold(waiting)
                    raise
                self.deduper.add_change(change.object, change.id, change.kind)
            return due

    def taken(self, delivery: Delivery, changes: list[Change]) -> None:
        """Remember ``delivery`` and the ``changes`` handed on (after they were)."""
        for change in changes:
            self.deduper.add_change(change.object, change.id, change.kind)
        self.deduper.add_key(delivery.key)

    def handle(
        self, body: bytes, headers: Mapping[str, str], callback: Callable[[Change], Any]
    ) -> list[Change]:
        """Verify, parse and deduplicate one delivery, calling ``callback`` with each new change
        (if it raises, the delivery is not remembered, so the CRM's retry is taken). Folded
        changes whose window has closed are handed on first (:meth:`trailing`)."""
        delivery = self.open(body, headers)
        self.trailing(callback)
        with self.lock:
            changes = self.fresh(delivery)
            done: list[Change] = []
            try:
                for change in changes:
                    callback(change)
                    done.append(change)
            finally:
                if len(done) == len(changes):
                    self.taken(delivery, done)
                else:
                    self.taken(attrs.evolve(delivery, key=None), done)
            return changes
