"""``crmbridge migrate --init SRC DST``: a starting mapping from the two schemas.

Objects are paired by slug and label (with the synonyms CRMs use: people/contacts, ...), fields by
slug, then label, then a close spelling, keeping only pairs whose types convert (the same table the
migration uses, :data:`crmbridge.migrate.plan._CONVERT`). A list going into a single field gets
``transform = "first"``; a person name going into first/last name fields gets ``split_name``; a
field of a distinctive type (e-mail, domain, URL, location, timezone) pairs with the target's only
field of that type. User fields are mapped like any other (the migration pairs users by e-mail,
crmbridge/migrate/users.py); given both CRMs' users, a ``[users]`` table pairs the ones whose
e-mail differs. A target without a unique field to upsert on matches on ``name`` with
``emulate = true``. Everything it could not pair is written as a commented line, so the file shows
what is left to decide. The file is written with tomlkit: any slug is a valid key (issue 19).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import tomlkit
from tomlkit.items import InlineTable
from tomlkit.toml_document import TOMLDocument

from ..errors import Unsupported, ValidationError
from ..model import FieldSpec, FieldType, User
from ..provider import ObjectSchema
from .plan import _CONVERT
from .users import by_email

if TYPE_CHECKING:
    from ..bridge import AsyncBridge

__all__ = ["init_from", "init_mapping", "pair_objects"]

_SYNONYMS = {
    "people": "contacts",
    "person": "contact",
    "client": "contact",
    "organization": "company",
    "organizations": "companies",
    "accounts": "companies",
    "account": "company",
}


def _norm(text: str) -> str:
    words = text.casefold().replace("-", "_").replace(" ", "_").split("_")
    return "_".join(_SYNONYMS.get(w, w) for w in words if w)


def _similar(a: str, b: str) -> float:
    na, nb = _norm(a), _norm(b)
    if na == nb:
        return 1.0
    if na in nb.split("_") or nb in na.split("_"):
        return 0.9
    return difflib.SequenceMatcher(None, na, nb).ratio()


def pair_objects(
    sources: Sequence[ObjectSchema], targets: Sequence[ObjectSchema]
) -> list[tuple[ObjectSchema, ObjectSchema]]:
    """Each source object with its most similar target object (score ≥ 0.75), at most once."""
    pairs: list[tuple[float, ObjectSchema, ObjectSchema]] = []
    for s in sources:
        for t in targets:
            score = max(
                _similar(s.slug, t.slug),
                _similar(s.object.label, t.object.label),
                _similar(s.slug, t.object.label),
            )
            if score >= 0.75:
                pairs.append((score, s, t))
    pairs.sort(key=lambda p: -p[0])
    used_s: set[str] = set()
    used_t: set[str] = set()
    out = []
    for _, s, t in pairs:
        if s.slug not in used_s and t.slug not in used_t:
            out.append((s, t))
            used_s.add(s.slug)
            used_t.add(t.slug)
    return out


def _field_value(sf: FieldSpec, tf: FieldSpec) -> str | InlineTable | None:
    """The mapping value pairing ``sf`` with ``tf``: the slug, or a table with a transform."""
    if (sf.type, tf.type) not in _CONVERT:
        return None
    if sf.multi and not tf.multi:
        transform = "join" if tf.type in (FieldType.text, FieldType.long_text) else "first"
        return _inline(to=tf.slug, transform=transform)
    return tf.slug


def _inline(**items: Any) -> InlineTable:
    table = tomlkit.inline_table()
    table.update(items)
    return table


def _best_field(sf: FieldSpec, candidates: Mapping[str, FieldSpec]) -> FieldSpec | None:
    if sf.slug in candidates:
        return candidates[sf.slug]
    for tf in candidates.values():
        if tf.label.casefold() == sf.label.casefold():
            return tf
    close = difflib.get_close_matches(sf.slug, list(candidates), n=1, cutoff=0.8)
    if close:
        return candidates[close[0]]
    # Otherwise the one field of a distinctive type (Attio's email_addresses → Kizen's email).
    same = [tf for tf in candidates.values() if tf.type is sf.type]
    return same[0] if len(same) == 1 and sf.type in _DISTINCTIVE else None


#: Types that pair by type alone when the target has exactly one writable field of the type.
_DISTINCTIVE = frozenset({FieldType.email, FieldType.domain, FieldType.url, FieldType.location,
                          FieldType.timezone})  # fmt: skip


def _users(doc: TOMLDocument, users: tuple[Sequence[User], Sequence[User]], target: str) -> None:
    """A ``[users]`` table for the source users whose e-mail no target user has: paired with the
    one target user of the same name, else left to a ``fallback`` (the target's first user, as
    its API answers them; check it). Users with the same e-mail on both sides pair themselves."""
    sources, targets = users
    left = [u for u, same in by_email(sources, targets) if same is None]
    if not left or not targets:
        return
    table = tomlkit.table()
    table.add(tomlkit.comment("Users pair by e-mail; these have no user of the same e-mail in "
                              f"{target}."))  # fmt: skip
    pairs = tomlkit.table()
    unnamed = []
    for u in left:
        same = [t for t in targets if u.name and t.name and t.name.casefold() == u.name.casefold()]
        key = u.email or u.id
        if len(same) == 1 and key and (same[0].email or same[0].id):
            pairs[key] = _commented(same[0].email or same[0].id, "same name")
        else:
            unnamed.append(u)
    if unnamed:
        fallback = targets[0]
        names = ", ".join(str(u.email or u.name or u.id) for u in unnamed)
        table["fallback"] = _commented(fallback.email or fallback.id, f"for {names}: check")
    if pairs:
        table["pairs"] = pairs
    doc["users"] = table


def init_mapping(
    pairs: Sequence[tuple[ObjectSchema, ObjectSchema]],
    *,
    source: str,
    target: str,
    match_key: Callable[[ObjectSchema], str | None],
    users: tuple[Sequence[User], Sequence[User]] | None = None,
) -> str:
    """The TOML text of a starting mapping for ``pairs`` (written with tomlkit, so any field
    slug is a valid key). ``users``: both CRMs' users, for a ``[users]`` table when some do not
    pair by e-mail."""
    doc = tomlkit.document()
    doc.add(tomlkit.comment(f"crmbridge mapping from {source} to {target}, generated by "
                            "`crmbridge migrate --init`."))  # fmt: skip
    doc.add(tomlkit.comment("Check every line; commented lines are fields that could not be "
                            "paired automatically."))  # fmt: skip
    doc["source"] = source
    doc["target"] = target
    if users is not None:
        _users(doc, users, target)
    objects = tomlkit.aot()
    for s, t in pairs:
        writable = {k: f for k, f in t.fields.items() if f.writable}
        fields = tomlkit.table()
        used: set[str] = set()
        for sf in s.fields.values():
            names = {"first_name", "last_name"}
            if sf.type is FieldType.person_name and names <= set(writable) and not names & used:
                fields[sf.slug] = _inline(to=["first_name", "last_name"], transform="split_name")
                used |= names
                continue
            tf = _best_field(sf, {k: v for k, v in writable.items() if k not in used})
            value = _field_value(sf, tf) if tf is not None else None
            if tf is not None and value is not None:
                fields[sf.slug] = value
                used.add(tf.slug)
            else:
                fields.add(tomlkit.comment(
                    f"{_key(sf.slug)} = {{ skip = true }}  # {sf.type.value}: no matching field"
                ))  # fmt: skip
        for tf in writable.values():
            if tf.required and tf.slug not in used:
                fields.add(tomlkit.comment(
                    f"required by {target}: {_key(tf.slug)} ({tf.label}); map a field to it or "
                    "set it under [objects.constants]"
                ))  # fmt: skip
        obj = tomlkit.table()
        obj["source"] = s.slug
        obj["target"] = t.slug
        match = match_key(t)
        if match is None:
            uniques = [f.slug for f in writable.values() if f.unique and f.slug in used]
            match = uniques[0] if uniques else None
        if match is None and "name" in used:
            # No unique field to upsert on natively: match on the name with a search first.
            obj["match"] = "name"
            obj["emulate"] = _commented(True, "no unique field: search by name, then write")
        elif match:
            obj["match"] = match
        else:
            obj.add(tomlkit.comment('match = "<unique target field>"'))
        obj["fields"] = fields
        objects.append(obj)
    doc["objects"] = objects
    return tomlkit.dumps(doc)


def _commented(value: Any, comment: str) -> Any:
    item = tomlkit.item(value)
    item.comment(comment)
    return item


def _key(slug: str) -> str:
    """``slug`` as a TOML key (quoted when it is not a bare key), for commented lines."""
    return tomlkit.dumps({slug: 0}).partition(" = ")[0]


async def init_from(source: AsyncBridge, target: AsyncBridge, *, source_name: str | None = None,
                    target_name: str | None = None) -> str:  # fmt: skip
    """The starting mapping between two connected CRMs (``crmbridge migrate --init``): both
    schemas, paired objects, and both CRMs' users where they list them."""
    sources = [await source.schema(o.slug) for o in await source.objects()]
    targets = [await target.schema(o.slug) for o in await target.objects()]
    src = source_name or source.provider.name
    dst = target_name or target.provider.name
    pairs = pair_objects(sources, targets)
    if not pairs:
        raise ValidationError(f"no object of {src} resembles an object of {dst}")
    users: tuple[list[User], list[User]] | None = None
    if any(f.type is FieldType.user for s, _ in pairs for f in s.fields.values()):
        try:
            users = (
                await source.run(source.provider.list_users()),
                await target.run(target.provider.list_users()),
            )
        except Unsupported:
            users = None
    return init_mapping(
        pairs, source=src, target=dst, match_key=target.provider.match_key, users=users
    )
