"""``--seed demo``: a realistic, deterministic data set (issue #6 "Seeds").

People (``size``, default a few thousand) with names, unique emails, E.164 phones, job titles,
locations and a company; companies (``size // 5``) with unique domains, categories (multiselect),
employee range, estimated ARR (selects), funding (currency), foundation date and location; deals
(``size // 10``) with stage (status), owner (workspace member), value (currency), company and people;
and a ``sales_pipeline`` list on companies with a status, a rating and a currency attribute. Every
record goes through the same validation as an API write, so the data set is valid Attio data. Same
``random_seed`` → same data, ids and timestamps.
"""

from __future__ import annotations

import gc
import random
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from .demo_notes import seed_notes
from .ids import format_timestamp
from .seeds import CATEGORIES, DEAL_STAGES, EMPLOYEE_RANGES, ESTIMATED_ARR

if TYPE_CHECKING:
    from .emulator import AttioEmulator

__all__ = ["DEFAULT_DEMO_SIZE", "generate_demo"]

DEFAULT_DEMO_SIZE = 2500

FIRST = [
    "Ada",
    "Alan",
    "Grace",
    "Linus",
    "Margaret",
    "Ken",
    "Barbara",
    "Dennis",
    "Frances",
    "Edsger",
    "Radia",
    "John",
    "Katherine",
    "Tim",
    "Hedy",
    "Donald",
    "Sophie",
    "Guido",
    "Anita",
    "Bjarne",
    "Shafi",
    "Leslie",
    "Joan",
    "Yukihiro",
    "Lynn",
    "Niklaus",
    "Adele",
    "Rasmus",
    "Jean",
    "Vint",
    "Mary",
    "Larry",
    "Sergey",
    "Susan",
    "Brian",
    "Carol",
    "Dorothy",
    "Elena",
    "Farah",
    "Gustavo",
    "Hiro",
    "Ines",
    "Jonas",
    "Kavya",
    "Lena",
    "Mateo",
    "Nadia",
    "Omar",
    "Priya",
    "Quentin",
    "Rosa",
    "Sven",
    "Tariq",
    "Uma",
    "Victor",
    "Wen",
    "Ximena",
    "Yusuf",
    "Zoe",
]
LAST = [
    "Lovelace",
    "Turing",
    "Hopper",
    "Torvalds",
    "Hamilton",
    "Thompson",
    "Liskov",
    "Ritchie",
    "Allen",
    "Dijkstra",
    "Perlman",
    "Backus",
    "Johnson",
    "Berners-Lee",
    "Lamarr",
    "Knuth",
    "Wilson",
    "Rossum",
    "Borg",
    "Stroustrup",
    "Goldwasser",
    "Lamport",
    "Clarke",
    "Matsumoto",
    "Conway",
    "Wirth",
    "Goldberg",
    "Lerdorf",
    "Sammet",
    "Cerf",
    "Keller",
    "Page",
    "Brin",
    "Kare",
    "Kernighan",
    "Shaw",
    "Vaughan",
    "Garcia",
    "Nakamura",
    "Rossi",
    "Novak",
    "Silva",
    "Kowalski",
    "Jensen",
    "Murphy",
    "Dubois",
    "Schmidt",
    "Okafor",
    "Petrov",
    "Haddad",
]
TITLES = (
    "CEO",
    "CTO",
    "VP Sales",
    "Head of Marketing",
    "Account Executive",
    "Software Engineer",
    "Product Manager",
    "Customer Success Manager",
    "Founder",
    "Operations Lead",
    "Data Scientist",
    "Designer",
)
WORDS = [
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Hooli",
    "Stark",
    "Wayne",
    "Wonka",
    "Cyberdyne",
    "Soylent",
    "Tyrell",
    "Aperture",
    "Vandelay",
    "Nakatomi",
    "Oscorp",
    "Pied",
    "Gringotts",
    "Monarch",
    "Virtucon",
    "Massive",
    "Dynamic",
    "Blue",
    "Sun",
    "Zenith",
    "Quantum",
    "Nimbus",
    "Polar",
    "Summit",
    "Harbor",
    "Atlas",
    "Beacon",
    "Cobalt",
    "Ember",
    "Falcon",
    "Granite",
    "Helix",
    "Ion",
    "Juniper",
    "Kestrel",
    "Lumen",
]
SUFFIXES = (
    "Labs",
    "Systems",
    "Analytics",
    "Cloud",
    "Works",
    "Group",
    "Industries",
    "AI",
    "Health",
    "Robotics",
)
TLDS = ("com", "io", "co", "ai", "dev", "co.uk", "de", "fr")
CITIES = (
    ("San Francisco", "CA", "US", "94103", "+1415"),
    ("New York", "NY", "US", "10001", "+1212"),
    ("Austin", "TX", "US", "73301", "+1512"),
    ("London", "England", "GB", "EC1A 1BB", "+4420"),
    ("Berlin", "Berlin", "DE", "10115", "+4930"),
    ("Paris", "Île-de-France", "FR", "75001", "+3314"),  # 9 national digits
    ("Amsterdam", "North Holland", "NL", "1012", "+3120"),
    ("Stockholm", "Stockholm", "SE", "111 20", "+468"),
    ("Sydney", "NSW", "AU", "2000", "+612"),
    ("Toronto", "ON", "CA", "M5H", "+1416"),
)
STREETS = (
    "Market Street",
    "High Street",
    "Main Street",
    "King Street",
    "Harbour Road",
    "Park Avenue",
)
PIPELINE = ("Prospecting", "Qualified", "Demo", "Proposal", "Won", "Lost")


def _location(rng: random.Random, city: tuple[str, str, str, str, str]) -> dict[str, Any]:
    locality, region, country, postcode, _ = city
    return {
        "line_1": f"{rng.randint(1, 999)} {rng.choice(STREETS)}",
        "line_2": None,
        "line_3": None,
        "line_4": None,
        "locality": locality,
        "region": region,
        "postcode": postcode,
        "country_code": country,
        "latitude": None,
        "longitude": None,
    }


def generate_demo(emulator: AttioEmulator, size: int, seed: int) -> None:
    """Fill ``emulator`` with ``size`` people and the companies, deals and entries around them.

    The cyclic garbage collector is paused meanwhile and restored as it was: the data is long-lived,
    and with 100,000 people every collection during generation rescanned millions of containers.
    One collection at the end leaves the data in the oldest generation.
    Nothing process-wide outlives the call (no ``gc.freeze()``: a library must not stop the
    caller's own cycles from being collected, issue #19); the ``crmbridge`` command tunes its own
    process instead (``crmbridge/cli.py`` ``main``)."""
    with _collector_paused():
        _generate(emulator, size, seed)
    # One full collection now moves the data to the oldest generation, where the collector's own
    # rule (pending long-lived objects above 25% of them) keeps it from being rescanned; otherwise
    # that first full scan lands in a later, timed request.
    gc.collect()


_pause_lock = threading.Lock()
_pauses = 0
_was_enabled = False


@contextmanager
def _collector_paused() -> Iterator[None]:
    """The collector off while any demo is generated, then as it was: counted, so two demos
    generated at once (two served emulators) cannot leave it off."""
    global _pauses, _was_enabled
    with _pause_lock:
        if _pauses == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _pause_lock:
            _pauses -= 1
            if _pauses == 0 and _was_enabled:
                gc.enable()


def _generate(emulator: AttioEmulator, size: int, seed: int) -> None:
    rng = random.Random(f"attio-demo-{seed}")
    base = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
    clock = [base]

    def tick() -> str:
        clock[0] += timedelta(milliseconds=rng.randint(50, 90_000))
        return format_timestamp(clock[0])

    # The demo team is the Kizen emulator's (crmbridge_kizen/emulator/standard.py
    # STANDARD_EMPLOYEES): one company's people in both CRMs, so migrations pair them by e-mail.
    members = [emulator.workspace.members[0]]
    for first, last in (("Grace", "Hopper"), ("Alan", "Turing"), ("Katherine", "Johnson")):
        members.append(emulator.add_member(first, last, f"{first.lower()}@example.com"))

    companies: list[str] = []
    used_domains: set[str] = set()
    used_names: set[str] = set()
    for i in range(max(1, size // 5)):
        name = f"{rng.choice(WORDS)} {rng.choice(SUFFIXES)}"
        city = rng.choice(CITIES)
        # Attio allows repeated names, but a demo where most do would read as duplicates once
        # migrated to a CRM that keys companies by name (Kizen): qualify repeats, as people do.
        if name in used_names:
            name = f"{name} {city[0]}"
        if name in used_names:
            name = f"{name} {i}"
        used_names.add(name)
        stem = name.lower().replace(" ", "")
        domain = f"{stem}.{rng.choice(TLDS)}"
        if domain in used_domains:
            domain = f"{stem}{i}.{rng.choice(TLDS)}"
        used_domains.add(domain)
        values: dict[str, Any] = {
            "name": name,
            "domains": [domain],
            "categories": rng.sample(CATEGORIES, rng.randint(1, 3)),
            "employee_range": rng.choice(EMPLOYEE_RANGES),
            "estimated_arr_usd": rng.choice(ESTIMATED_ARR),
            "primary_location": _location(rng, city),
            "foundation_date": f"{rng.randint(1980, 2024)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            "linkedin": f"https://linkedin.com/company/{stem}",
        }
        if rng.random() < 0.6:
            values["funding_raised_usd"] = rng.randint(1, 500) * 100_000
        if rng.random() < 0.5:
            values["description"] = f"{name} builds {rng.choice(CATEGORIES).lower()} products."
        companies.append(emulator.seed_record("companies", values, created_at=tick()))

    people: list[str] = []
    for i in range(size):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        company = rng.choice(companies)
        city = rng.choice(CITIES)
        values = {
            "name": {"first_name": first, "last_name": last, "full_name": f"{first} {last}"},
            "email_addresses": [f"{first.lower()}.{last.lower()}.{i}@example.com"],
            "job_title": rng.choice(TITLES),
            "company": [{"target_object": "companies", "target_record_id": company}],
            "primary_location": _location(rng, city),
        }
        if rng.random() < 0.7:
            values["phone_numbers"] = [f"{city[4]}{rng.randint(1_000_000, 9_999_999)}"]
        people.append(emulator.seed_record("people", values, created_at=tick()))

    for i in range(size // 10):
        company = rng.choice(companies)
        values = {
            "name": f"Deal {i + 1:04d}",
            "stage": rng.choice(DEAL_STAGES),
            "owner": rng.choice(members).email_address,
            "value": rng.randint(1, 400) * 1_000,
            "associated_company": [{"target_object": "companies", "target_record_id": company}],
            "associated_people": [
                {"target_object": "people", "target_record_id": p}
                for p in rng.sample(people, min(2, len(people)))
            ],
        }
        emulator.seed_record("deals", values, created_at=tick())

    emulator.add_list("sales_pipeline", "Sales pipeline", "companies")
    emulator.add_attribute(
        "sales_pipeline", "stage", "status", title="Stage", statuses=list(PIPELINE)
    )
    emulator.add_attribute("sales_pipeline", "priority", "rating", title="Priority")
    emulator.add_attribute(
        "sales_pipeline", "expected_value", "currency", title="Expected value", currency="USD"
    )
    for company in rng.sample(companies, len(companies) // 4):
        emulator.seed_entry(
            "sales_pipeline",
            company,
            {
                "stage": rng.choice(PIPELINE),
                "priority": rng.randint(1, 5),
                "expected_value": rng.randint(5, 250) * 1_000,
            },
            created_at=tick(),
        )
    seed_notes(emulator.workspace, people, companies, members, seed)
