"""Checking a mapping against two schemas (crmbridge/migrate/plan.py): option labels cross CRMs by
label and pass through, required target fields are named before any write (issue 23)."""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from crmbridge import (
    FieldSpec,
    FieldType,
    ObjectSchema,
    ObjectSpec,
    Option,
    Record,
    ValidationError,
)
from crmbridge.migrate import parse_mapping
from crmbridge.migrate.plan import ObjectPlan, build_plans

T = FieldType
STAGES = (Option("Proposal", "src-1"), Option("Won", "src-2"), Option("Lost", "src-3"))


def _schema(slug: str, *fields: FieldSpec) -> ObjectSchema:
    return ObjectSchema(ObjectSpec(slug, slug.title()), {f.slug: f for f in fields})


SOURCE = _schema(
    "deals",
    FieldSpec("name", "Name", T.text),
    FieldSpec("stage", "Stage", T.status, options=STAGES),
    FieldSpec("kind", "Kind", T.option, options=(Option("B2B", "a-b2b"), Option("B2C", "a-b2c"))),
)


def _target(
    *extra: FieldSpec, stages: tuple[str, ...] = ("Proposal", "Won", "Lost")
) -> ObjectSchema:
    return _schema(
        "deals",
        FieldSpec("name", "Name", T.text, unique=True),
        FieldSpec("stage", "Stage", T.status, options=[Option(s, f"dst-{s}") for s in stages]),
        FieldSpec("kind", "Kind", T.tags, multi=True),
        *extra,
    )


def _plans(fields: dict[str, Any], target: ObjectSchema, **kw: Any) -> tuple[list[ObjectPlan], Any]:
    mapping = parse_mapping(
        {"objects": [{"source": "deals", "target": "deals", "match": "name", "fields": fields}]}
    )
    return build_plans(
        mapping, {"deals": SOURCE}, {"deals": target}, default_match=lambda s: None, **kw
    )


def _values(plan: ObjectPlan, **fields: Any) -> dict[str, Any]:
    values, _ = plan.transform(Record("deals", "r1", fields), lambda o, i: None)
    return values


def test_a_label_the_target_has_arrives_as_itself_even_when_others_are_mapped() -> None:
    fields = {
        "name": "name",
        "stage": {"to": "stage", "transform": "map_options", "options": {"Lost": "Closed Lost"}},
    }
    (plan,), _ = _plans(fields, _target(stages=("Proposal", "Won", "Closed Lost")))
    assert _values(plan, name="x", stage=Option("Proposal", "src-1"))["stage"] == Option("Proposal")
    assert _values(plan, name="x", stage=Option("Lost", "src-3"))["stage"] == Option("Closed Lost")


def test_a_default_applies_only_to_labels_options_do_not_name() -> None:
    fields = {
        "name": "name",
        "stage": {"to": "stage", "transform": "map_options", "default": "Won"},
    }
    (plan,), _ = _plans(fields, _target(stages=("Won",)))
    assert _values(plan, name="x", stage=Option("Lost"))["stage"] == Option("Won")


def test_labels_the_target_lacks_are_listed_before_any_write_and_only_those() -> None:
    with pytest.raises(ValidationError) as info:
        _plans({"name": "name", "stage": "stage"}, _target(stages=("Proposal",)))
    (problem,) = info.value.field_errors
    assert "'Lost', 'Won'" in problem.message
    assert "'Proposal'" not in problem.message
    # Mapping only the missing ones is enough: the rest pass through.
    fields = {
        "name": "name",
        "stage": {
            "to": "stage",
            "transform": "map_options",
            "options": {"Won": "Proposal", "Lost": "Proposal"},
        },
    }
    (plan,), _ = _plans(fields, _target(stages=("Proposal",)))
    assert _values(plan, name="x", stage=Option("Proposal"))["stage"] == Option("Proposal")


def test_missing_labels_are_created_when_asked() -> None:
    _, missing = _plans(
        {"name": "name", "stage": "stage"}, _target(stages=("Won",)), create_options=True
    )
    assert missing == {("deals", "stage"): ["Lost", "Proposal"]}


def test_a_select_into_tags_sends_labels_never_the_source_ids() -> None:
    (plan,), _ = _plans({"name": "name", "kind": "kind"}, _target())
    assert _values(plan, name="x", kind=Option("B2B", "a-b2b"))["kind"] == [Option("B2B")]
    stage = _values(plan, name="x", kind=None)
    assert stage["kind"] == []


def test_required_target_fields_the_mapping_leaves_empty_are_named_by_slug_and_label() -> None:
    owner = FieldSpec("owner", "Deal owner", T.user, required=True, provider_id="f814")
    with pytest.raises(ValidationError) as info:
        _plans({"name": "name"}, _target(owner))
    (problem,) = info.value.field_errors
    assert "owner ('Deal owner')" in problem.message
    assert "f814" not in problem.message
    # A constant fills it.
    mapping = parse_mapping(
        {
            "objects": [
                {
                    "source": "deals",
                    "target": "deals",
                    "match": "name",
                    "fields": {"name": "name"},
                    "constants": {"owner": "a@x.co"},
                }
            ]
        }
    )
    build_plans(mapping, {"deals": SOURCE}, {"deals": _target(owner)}, default_match=lambda s: None)


def test_reads_names_the_mapped_source_fields_and_follows_an_evolved_plan() -> None:
    """``ObjectPlan.reads`` is derived once from ``fields`` (the engine tests it per record); a
    plan remade with other fields (``attrs.evolve``, as the users pairing does) derives it again."""
    (plan,), _ = _plans({"name": "name", "kind": "kind"}, _target())
    assert plan.reads == {"name", "kind"}
    fewer = attrs.evolve(plan, fields=plan.fields[:1])
    assert fewer.reads == {plan.fields[0].map.source}
    assert plan.reads == {"name", "kind"}
