"""Users across CRMs: each source user paired with a target user, before any write.

One CRM's user ids mean nothing in another (an Attio workspace member id is not a Kizen employee
id), so a migration that copies a user field (a record's ``owner``) writes the target's own user
for each source user. Users are paired by e-mail address (case-insensitive) automatically; the
mapping's ``[users]`` table overrides pairs and names a ``fallback`` user for the ones left::

    [users]
    fallback = "ops@acme.com"            # target user for source users without a pair
    [users.pairs]
    "ada@old.example" = "ada.l@acme.com" # source user (e-mail or id) = target user (e-mail or id)

A source user with no pair and no fallback is a problem listed before any write
(:func:`pair_users` raises), as is a pair naming a user that does not exist. :func:`pair_users`
is pure; :func:`resolve_users` reads both user lists (``Provider.list_users``) for the engine.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from ..errors import FieldError, Unsupported, ValidationError
from ..model import FieldType, User

if TYPE_CHECKING:
    from ..bridge import AsyncBridge
    from .mapping import MappingFile
    from .plan import FieldPlan, ObjectPlan

__all__ = ["UserPairs", "UsersTable", "by_email", "pair_users", "resolve_users"]


@attrs.frozen
class UsersTable:
    """The mapping's ``[users]`` table: explicit pairs (source e-mail or id → target e-mail or id)
    and the target user for source users without a pair."""

    pairs: Mapping[str, str] = attrs.field(factory=dict)
    fallback: str | None = None


def _find(users: Iterable[User], key: str) -> User | None:
    folded = key.casefold()
    for u in users:
        if u.id == key or (u.email is not None and u.email.casefold() == folded):
            return u
    return None


def _label(user: User) -> str:
    parts = [p for p in (user.email, user.name) if p]
    return " ".join(parts) if parts else str(user.id)


@attrs.frozen
class UserPairs:
    """Source user (by id and by e-mail) → target user, as a migration writes it."""

    by_id: Mapping[str, User]
    by_email: Mapping[str, User]
    fallback: User | None = None

    def target_of(self, user: Any) -> Any:
        """The target's user for a source ``user`` (``None`` stays ``None``)."""
        if not isinstance(user, User):
            return user
        if user.id is not None and user.id in self.by_id:
            return self.by_id[user.id]
        if user.email is not None and user.email.casefold() in self.by_email:
            return self.by_email[user.email.casefold()]
        if self.fallback is not None:
            return self.fallback
        raise ValidationError(
            f"user {_label(user)} has no pair in the target; add it under [users.pairs] "
            "or name a fallback user",
            code="unpaired_user",
        )


def _target_form(user: User) -> User:
    """What a target writes: its own id (and e-mail), never the source's kind."""
    return User(id=user.id, email=user.email, name=user.name, kind=user.kind)


def by_email(sources: Iterable[User], targets: Iterable[User]) -> list[tuple[User, User | None]]:
    """The automatic pairing rule: each source user with the target user of the same e-mail
    address (case-insensitive), or ``None``."""
    same = {u.email.casefold(): u for u in targets if u.email}
    return [(u, same.get(u.email.casefold()) if u.email else None) for u in sources]


def pair_users(
    sources: Sequence[User], targets: Sequence[User], table: UsersTable | None = None
) -> UserPairs:
    """Pair every source user with a target user: ``table.pairs`` first, then the same e-mail
    address; the rest go to ``table.fallback``. Raises a :class:`ValidationError` listing every
    source user left without one, and every pair or fallback naming an unknown user."""
    table = table or UsersTable()
    problems: list[FieldError] = []
    fallback = None
    if table.fallback is not None:
        fallback = _find(targets, table.fallback)
        if fallback is None:
            problems.append(
                FieldError(
                    "users.fallback", f"no target user {table.fallback!r}", code="bad_mapping"
                )
            )
    explicit: dict[str, User] = {}
    for src_key, dst_key in table.pairs.items():
        src, dst = _find(sources, src_key), _find(targets, dst_key)
        if src is None:
            problems.append(
                FieldError(
                    f"users.pairs.{src_key}", f"no source user {src_key!r}", code="bad_mapping"
                )
            )
        if dst is None:
            problems.append(
                FieldError(
                    f"users.pairs.{src_key}", f"no target user {dst_key!r}", code="bad_mapping"
                )
            )
        if src is not None and dst is not None:
            explicit[src.id or src.email or src_key] = dst
    ids: dict[str, User] = {}
    emails: dict[str, User] = {}
    unpaired: list[User] = []
    for user, same in by_email(sources, targets):
        dst = explicit.get(user.id or user.email or "") or same
        if dst is None:
            if fallback is None:
                unpaired.append(user)
            continue
        if user.id:
            ids[user.id] = _target_form(dst)
        if user.email:
            emails[user.email.casefold()] = _target_form(dst)
    if unpaired:
        names = ", ".join(_label(u) for u in unpaired)
        problems.append(
            FieldError(
                "users",
                f"source user(s) with no user of the same e-mail in the target: {names}; pair "
                'them under [users.pairs] ("source e-mail" = "target e-mail") or name a '
                'fallback = "target e-mail"',
                expected=", ".join(_label(u) for u in targets),
                code="bad_mapping",
            )
        )
    if problems:
        raise ValidationError(
            f"users do not pair ({len(problems)} problem(s)); nothing was written",
            field_errors=problems,
            code="bad_mapping",
        )
    return UserPairs(ids, emails, _target_form(fallback) if fallback else None)


def _crosses_users(fp: FieldPlan) -> bool:
    return fp.source.type is FieldType.user and any(t.type is FieldType.user for t in fp.targets)


async def resolve_users(
    source: AsyncBridge, target: AsyncBridge, mapping: MappingFile, plans: list[ObjectPlan]
) -> list[ObjectPlan]:
    """``plans`` whose user fields write the target's paired users. Reads both user lists only
    when a mapped field copies users; raises before any write when a source user has no pair."""
    if not any(_crosses_users(fp) for p in plans for fp in p.fields):
        return plans
    try:
        sources = await source.run(source.provider.list_users())
        targets = await target.run(target.provider.list_users())
    except Unsupported:
        # A side without users of its own (a SQLite backup keeps users as given): nothing to
        # pair, users are copied as they are.
        return plans
    pairs = pair_users(sources, targets, mapping.users)
    return [
        attrs.evolve(
            p,
            fields=tuple(
                attrs.evolve(fp, convert=pairs.target_of) if _crosses_users(fp) else fp
                for fp in p.fields
            ),
        )
        for p in plans
    ]
