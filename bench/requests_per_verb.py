"""Figure 5: HTTP requests per verb, with a warm schema cache, against the minimum the API allows.

Why: at the rate limit, every request that is not needed is time. For each provider this connects
to its emulator (demo seed, 95 records), fetches the schema once, then counts the requests each
verb sends (the bridge's ``on_request`` hook, so retries would show) and compares with the least
the CRM's API needs for the same answer:

* ``get``: one GET.
* ``upsert``: crmbridge reports ``created`` / ``updated`` / ``unarchived`` / ``noop`` truthfully and
  sends no write when nothing changes (docs/design.md §3, §7). Attio's assert does not say what it did, so
  a read by the match key must come first: 2 requests, 1 for a noop. Kizen's upsert answers with its
  action, but only a search can find a noop before writing: 2, 1 for a noop.
* ``update`` with ``add(...)``: one PATCH (both CRMs append natively); with ``remove(...)``: Kizen has
  ``remove_values`` (1 PATCH); Attio has no remove, so read then PUT (2). Kizen's multi field here is
  a dynamic tag given by label: its id comes from the tag endpoint (field metadata lists no tags;
  docs/decisions.md "kizen"), so a tag the connection has not seen yet costs one GET first (2); the
  remove after it knows the tag from the add's answer (1).
* a 10-page ``query`` (``page_size=10`` over 95 records): 10. (Attio pages by offset with no total
  and no next link, so when the last page is full one more, empty, page is needed to see the end.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs
from common import Figure, RequestLog, emulator, parser, print_figures, print_header

import crmbridge
from crmbridge import Bridge


@attrs.frozen
class Case:
    """One verb call: its label, the API's minimum, the call, and what to do before counting."""

    label: str
    minimum: int
    run: Callable[[Bridge, dict[str, Any]], Any]
    setup: Callable[[Bridge, dict[str, Any]], Any] | None = None


@attrs.frozen
class Provider:
    name: str
    object: str
    match: str
    #: values that change the record on the second upsert; a multi field with one value to add.
    change: dict[str, Any]
    multi: str
    item: Any


PROVIDERS = [
    Provider(
        "attio",
        "people",
        "email_addresses",
        {"job_title": "CTO"},
        multi="email_addresses",
        item="second@example.com",
    ),
    Provider("kizen", "client_client", "email", {"first_name": "Ada"}, multi="titles", item="CTO"),
]


def cases(p: Provider) -> list[Case]:
    """The verbs, in an order where each leaves the record as the next one needs it."""
    key = {p.match: ["bench@example.com"] if p.name == "attio" else "bench@example.com"}
    changed = {**key, **p.change}

    def remember(crm: Bridge, state: dict[str, Any], values: dict[str, Any]) -> Any:
        result = crm.upsert(p.object, values)
        state["id"] = result.record.id
        return result

    out = [
        Case("upsert (new)", 2, lambda crm, s: remember(crm, s, key)),
        Case("upsert (changed)", 2, lambda crm, s: remember(crm, s, changed)),
        Case("upsert (unchanged)", 1, lambda crm, s: remember(crm, s, changed)),
        Case("get", 1, lambda crm, s: crm.get(p.object, s["id"])),
        Case(
            "update with add()",
            2 if p.name == "kizen" else 1,
            lambda crm, s: crm.update(p.object, s["id"], {p.multi: crmbridge.add(p.item)}),
        ),
        Case(
            "update with remove()",
            2 if p.name == "attio" else 1,
            lambda crm, s: crm.update(p.object, s["id"], {p.multi: crmbridge.remove(p.item)}),
        ),
    ]
    if p.name == "kizen":
        out.append(
            Case(
                "upsert (archived)",
                2,
                lambda crm, s: remember(crm, s, changed),
                setup=lambda crm, s: crm.archive(p.object, s["id"]),
            )
        )
    out.append(Case("query, 10 pages", 10, lambda crm, s: list(crm.query(p.object, page_size=10))))
    return out


def main() -> None:
    p = parser(__doc__)
    p.parse_args()  # --quick changes nothing: this script is already small
    print_header("Requests per verb (issue #10, figure 5)")
    print(f"{'':36} {'sent':>5} {'minimum':>8}  requests")
    figures = []
    for provider in PROVIDERS:
        log = RequestLog()
        emu = emulator(provider.name, seed="demo", demo_size=95)
        with crmbridge.connect(provider.name, emulator=emu, on_request=log) as crm:
            crm.schema(provider.object)  # warm the schema cache
            state: dict[str, Any] = {}
            extra = 0
            for case in cases(provider):
                if case.setup is not None:
                    case.setup(crm, state)
                log.clear()
                result = case.run(crm, state)
                action = getattr(result, "action", None)
                sent = log.total
                extra += max(0, sent - case.minimum)
                routes = ", ".join(
                    f"{n} x {r.replace(state['id'], '{id}')}" for r, n in log.by_route.items()
                )
                label = f"{provider.name} {case.label}" + (f" [{action}]" if action else "")
                print(f"{label:36} {sent:5} {case.minimum:8}  {routes}")
        figures.append(Figure(f"{provider.name}_requests_over_minimum", extra, "<=", 0))
    print_figures(figures)


if __name__ == "__main__":
    main()
