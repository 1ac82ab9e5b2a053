"""Figure 3: codec speed — decoding pages and encoding writes, relative to ``json`` alone.

Why: the client should cost almost nothing beside the rate limit, and the least any client can do
with a JSON answer is ``json.loads`` it. So each measurement is a ratio to the ``json`` step on the
same data, timed in the same run (interleaved, best of ``--repeat``):

* **Attio query page**: 1,000 records made from the recordings' shapes (the real
  ``responses/people_query_rbeene.json`` person and the five companies of the recorded
  ``companies_query.yaml``, each copy with its own record id), as the bytes of one
  ``POST …/records/query`` answer → neutral ``Record``\\ s through the provider's own ``query``
  plan (``httpx.Response.json()``, unwrap, ``decode_record`` with the recorded schema), ÷
  ``json.loads`` of the same bytes. Target ≤ 3.
* **Kizen search page**: the same with 1,000 rows made from the two recorded ``patients`` search
  rows (``cassettes/kizen/search.yaml``, shapes of the live ``get_tax_lot.json``), with the live
  ``patients`` field schema. Target ≤ 3.
* **Encoding writes**: the values of those records, as a user passes them to ``create`` →
  validated against the schema (``normalize_values``) → the provider's ``create`` plan → the
  bytes of the request body, ÷ ``json.dumps`` of the same bodies. Target ≤ 3. This is the
  mirror of decoding (neutral objects → bytes), so the ``httpx.Request`` wrapped around the
  body — URL, headers, stream: the transport's object, the same for any httpx client — is not
  in it (docs/decisions.md, "What the encoding figure measures"). It is measured beside it
  instead: the whole write path per request, as a share of one core at the write limit
  (250 writes/s; target ≤ 0.05, ours).
"""

from __future__ import annotations

import copy
import gc
import json
import time
import uuid
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import yaml
from common import ROOT, SCALED_LIMITS, Figure, parser, print_figures, print_header, profiled

from crmbridge import ObjectSchema, ObjectSpec, Provider, Record, ValidationError
from crmbridge.plugin import Query
from crmbridge.plugins import get_provider
from crmbridge.validation import normalize_values

#: The project's copy of the shared recordings' Attio response bodies.
RESPONSES = ROOT / "plugins" / "attio" / "tests" / "data" / "responses"
CASSETTES = ROOT / "cassettes"


def cassette(path: Path) -> dict[str, Any]:
    """``"METHOD path"`` → parsed JSON response body, for every interaction of a cassette."""
    out = {}
    for i in yaml.safe_load(path.read_text())["interactions"]:
        url = httpx.URL(i["request"]["uri"])
        out[f"{i['request']['method']} {url.path}"] = json.loads(i["response"]["body"]["string"])
    return out


def copies(
    rows: list[dict[str, Any]], n: int, new_id: Callable[[dict[str, Any], str], None]
) -> list[dict[str, Any]]:
    """``n`` deep copies of ``rows``, cycling, each given a fresh id by ``new_id``."""
    out = []
    for i in range(n):
        row = json.loads(json.dumps(rows[i % len(rows)]))
        new_id(row, str(uuid.UUID(int=i + 1)))
        out.append(row)
    return out


# --- the data --------------------------------------------------------------------------------


def attio_case(n: int) -> tuple[Provider, ObjectSchema, ObjectSchema, bytes, bytes]:
    """The provider, the people and companies schemas (from the recorded attribute list; the
    companies schema from the attributes seen in the recorded records), and two pages of ``n``
    records: people, companies."""
    from crmbridge_attio import codec

    provider = get_provider("attio").from_config(token="bench")
    recorded = cassette(CASSETTES / "attio" / "attributes_list_people.yaml")
    objects = cassette(CASSETTES / "attio" / "objects_list.yaml")["GET /v2/objects"]["data"]
    slugs = {o["id"]["object_id"]: o["api_slug"] for o in objects}
    specs = {codec.decode_object(o).slug: codec.decode_object(o) for o in objects}
    people_attrs = recorded["GET /v2/objects/people/attributes"]["data"]
    people = _schema(
        specs["people"], [codec.decode_attribute(a, object_slugs=slugs) for a in people_attrs]
    )
    person = json.loads((RESPONSES / "people_query_rbeene.json").read_text())
    companies_page = cassette(CASSETTES / "attio" / "companies_query.yaml")
    company_rows = companies_page["POST /v2/objects/companies/records/query"]["data"]
    companies = _schema(specs["companies"], _attio_fields_seen(company_rows))

    def new_id(row: dict[str, Any], id: str) -> None:
        row["id"]["record_id"] = id

    pages = [
        json.dumps({"data": copies(rows, n, new_id)}).encode()
        for rows in (person["data"], company_rows)
    ]
    return provider, people, companies, pages[0], pages[1]


def _attio_fields_seen(rows: list[dict[str, Any]]) -> list[Any]:
    """FieldSpecs for the attributes the recorded rows carry, typed by their ``attribute_type``
    (the companies attribute list was not recorded)."""
    from crmbridge_attio import codec

    seen: dict[str, Any] = {}
    for row in rows:
        for slug, values in row["values"].items():
            kind = next((v["attribute_type"] for v in values), None)
            if kind and slug not in seen:
                seen[slug] = codec.decode_attribute(
                    {
                        "id": {"attribute_id": slug},
                        "api_slug": slug,
                        "title": slug,
                        "type": kind,
                        "is_multiselect": slug in ("domains", "categories", "team"),
                        "is_writable": slug not in ("record_id", "created_at", "created_by"),
                        "is_unique": slug == "domains",
                        "is_required": False,
                        "is_archived": False,
                    }
                )
    return list(seen.values())


def kizen_case(n: int) -> tuple[Provider, ObjectSchema, bytes]:
    """The provider, the live ``patients`` schema and a search page of ``n`` rows."""
    from crmbridge_kizen import codec

    provider = get_provider("kizen").from_config(api_key="b", user_id="b", business_id="b")
    recorded = cassette(CASSETTES / "kizen" / "search.yaml")
    obj = next(
        codec.decode_object(o)
        for o in recorded["GET /api/custom-objects"]["results"]
        if o["name"] == "patients"
    )
    fields_path = f"GET /api/custom-objects/{obj.provider_id}/fields"
    schema = _schema(obj, [codec.decode_field(f, obj.slug) for f in recorded[fields_path]])
    rows = _kizen_rows()

    def new_id(row: dict[str, Any], id: str) -> None:
        row["id"] = id

    body = {"count": n, "next": None, "previous": None, "results": copies(rows, n, new_id)}
    return provider, schema, json.dumps(body).encode()


def _kizen_rows() -> list[dict[str, Any]]:
    """Both recorded ``patients`` search rows (two pages of the same path)."""
    rows = []
    for i in yaml.safe_load((CASSETTES / "kizen" / "search.yaml").read_text())["interactions"]:
        if i["request"]["uri"].split("?")[0].endswith("/search"):
            rows += json.loads(i["response"]["body"]["string"])["results"]
    return rows


def _schema(spec: ObjectSpec, fields: Iterable[Any]) -> ObjectSchema:
    return ObjectSchema(spec, {f.slug: f for f in fields})


# --- the measured paths ----------------------------------------------------------------------


def decode_page(provider: Provider, schema: ObjectSchema, content: bytes) -> list[Record]:
    """Bytes of one page → Records, exactly as a client run does: the provider's ``query``
    plan receives an ``httpx.Response``."""
    plan = provider.query(schema, Query(page_size=len(content)), None)
    request = next(plan)
    try:
        plan.send(httpx.Response(200, content=content, request=request))
    except StopIteration as done:
        return list(done.value.records)
    raise RuntimeError("the query plan asked for more than one request")


def writable_values(schema: ObjectSchema, records: list[Record]) -> list[dict[str, Any]]:
    """What a user passes to ``create``: each record's writable, non-empty values that the
    schema accepts (values the recordings hold but a write refuses are left out once, here)."""
    out = []
    for record in records:
        values = {
            k: v
            for k, v in record.fields.items()
            if k in schema.fields and schema.fields[k].writable and v not in (None, [], "")
        }
        for slug in list(values):
            try:
                normalize_values(schema, {slug: values[slug]})
            except ValidationError:
                del values[slug]
        out.append(values)
    return out


def encode_writes(
    provider: Provider, schema: ObjectSchema, writes: list[dict[str, Any]]
) -> list[Any]:
    """Values → validated → what the provider's create plan yields first: its request."""
    out = []
    for values in writes:
        clean = normalize_values(schema, values, creating=False)
        out.append(next(provider.create(schema, clean, on_archived=None)))
    return out


def body_only(provider: Provider) -> Provider:
    """A copy of ``provider`` whose "requests" are only their JSON body as bytes: encoding without
    ``httpx.Request`` (URL parsing, headers, stream), everything else unchanged."""
    clone = copy.copy(provider)

    def build_request(method: str, path: str, **kw: Any) -> bytes:
        return json.dumps(kw.get("json")).encode()

    clone.build_request = build_request  # type: ignore[method-assign,assignment]
    return clone


def dump_bodies(bodies: list[Any]) -> list[bytes]:
    """The baseline of encoding: ``json.dumps`` alone, to bytes."""
    return [json.dumps(b).encode() for b in bodies]


def best_of(repeat: int, *steps: Callable[[], Any]) -> list[float]:
    """The best wall time of each step over ``repeat`` rounds, steps interleaved in each round
    (so machine noise hits them alike); the GC is collected before and disabled during each."""
    best = [float("inf")] * len(steps)
    for _ in range(repeat):
        for i, step in enumerate(steps):
            gc.collect()
            gc.disable()
            start = time.perf_counter()
            step()
            best[i] = min(best[i], time.perf_counter() - start)
            gc.enable()
    return best


def row(label: str, base: float, total: float) -> float:
    ratio = total / base
    print(f"{label:58} {base * 1000:9.1f} {total * 1000:11.1f} {ratio:7.2f}")
    return ratio


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--records", type=int, default=1000, help="records per page")
    p.add_argument("--repeat", type=int, default=7, help="rounds; the best is kept")
    p.add_argument("--profile", metavar="FILE", help="pyinstrument the measured work")
    args = p.parse_args()
    if args.quick:
        args.records, args.repeat = 20, 1
    print_header("Codec speed (issue #10, figure 3)")
    n = args.records
    attio, people, companies, people_page, companies_page = attio_case(n)
    kizen, patients, patients_page = kizen_case(n)
    cases = [
        ("attio", attio, people, people_page),
        ("attio", attio, companies, companies_page),
        ("kizen", kizen, patients, patients_page),
    ]
    print(f"{n} records per page; best of {args.repeat} rounds, interleaved\n")
    print(f"{'':58} {'json ms':>9} {'crmbridge ms':>11} {'÷ json':>7}")
    ratios: dict[str, list[float]] = {"attio": [], "kizen": [], "encode": []}
    per_write: list[float] = []
    with profiled(args.profile):
        for name, provider, schema, content in cases:
            base, total = best_of(
                args.repeat,
                partial(json.loads, content),
                partial(decode_page, provider, schema, content),
            )
            label = f"decode {name} {schema.slug} page ({len(content) / 1e6:.1f} MB)"
            ratios[name].append(row(label, base, total))
        for name, provider, schema, content in cases:
            writes = writable_values(schema, decode_page(provider, schema, content))
            bodies = [json.loads(r.content) for r in encode_writes(provider, schema, writes)]
            base, codec, whole = best_of(
                args.repeat,
                partial(dump_bodies, bodies),
                partial(encode_writes, body_only(provider), schema, writes),
                partial(encode_writes, provider, schema, writes),
            )
            fields = sum(len(w) for w in writes) / len(writes)
            label = f"encode {name} {schema.slug} writes ({fields:.0f} fields) to body bytes"
            ratios["encode"].append(row(label, base, codec))
            row("  the whole write path, with the httpx.Request", base, whole)
            per_write.append(whole / len(writes))
    write_limit = SCALED_LIMITS.writes or 0.0
    print(
        f"\nwhole write path: {max(per_write) * 1e6:.1f} µs per write at most, "
        f"{max(per_write) * write_limit:.2%} of a core at {write_limit:.0f} writes/s"
    )
    print_figures(
        [
            Figure("attio_decode_vs_json", max(ratios["attio"]), "<=", 3),
            Figure("kizen_decode_vs_json", max(ratios["kizen"]), "<=", 3),
            Figure("encode_vs_json", max(ratios["encode"]), "<=", 3),
            Figure(
                "write_path_core_share_at_write_limit", max(per_write) * write_limit, "<=", 0.05
            ),
        ]
    )


if __name__ == "__main__":
    main()
