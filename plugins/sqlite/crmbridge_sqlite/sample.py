"""A small schema with one field of every neutral type, for trying the provider
(``crmbridge sqlite init demo.db --sample``) and for its conformance run."""

from __future__ import annotations

from crmbridge import FieldSpec, FieldType, ObjectSpec, Option

__all__ = ["SAMPLE_SCHEMA"]

T = FieldType


def _f(slug: str, type: FieldType, **kw: object) -> FieldSpec:
    return FieldSpec(slug, slug.replace("_", " ").capitalize(), type, **kw)  # type: ignore[arg-type]


_STAGES = (Option("Lead", id="lead"), Option("Customer", id="customer"), Option("Lost", id="lost"))
_TIERS = (Option("Gold", id="gold"), Option("Silver", id="silver"), Option("Bronze", id="bronze"))

#: ``(object, fields)`` pairs: contacts (every type) and companies (what contacts refer to).
SAMPLE_SCHEMA: tuple[tuple[ObjectSpec, tuple[FieldSpec, ...]], ...] = (
    (
        ObjectSpec("companies", "Companies"),
        (
            _f("name", T.text, unique=True),
            _f("domains", T.domain, multi=True),
            _f("employees", T.integer),
        ),
    ),
    (
        ObjectSpec("contacts", "Contacts"),
        (
            _f("email", T.email, unique=True),
            _f("name", T.text),
            _f("notes", T.long_text),
            _f("score", T.number),
            _f("visits", T.integer),
            _f("revenue", T.money),
            _f("active", T.bool),
            _f("birthday", T.date),
            _f("last_seen", T.datetime),
            _f("rating", T.rating),
            _f("tier", T.option, options=_TIERS),
            _f("stage", T.status, options=_STAGES),
            _f("phones", T.phone, multi=True),
            _f("website_domain", T.domain),
            _f("website", T.url),
            _f("full_name", T.person_name),
            _f("address", T.location),
            _f("company", T.reference, target_objects=("companies",)),
            _f("owner", T.user),
            _f("last_interaction", T.interaction, writable=False),
            _f("attachments", T.file, multi=True),
            _f("timezone", T.timezone),
            _f("tags", T.tags, multi=True),
            _f("extra", T.unknown),
            _f("created_by", T.user, writable=False),
        ),
    ),
)
