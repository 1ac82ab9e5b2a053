"""Figure 10 (issue 24): a served emulator under 32 concurrent clients — transport errors and GET/s.

Why: ``bench/migration_http.py``'s runs and the peer comparison serve the emulators over HTTP, in
processes of their own. With socketserver's listen backlog of 5, 32 clients connecting at once got
9-10 ``ReadError``s per 600 requests; ``http.server`` (a thread per connection) spent ~240 µs of CPU
per GET; the target is ≥ 3,000 GET/s with 0 errors.

Each run starts a fresh interpreter serving the Attio emulator (demo seed) on loopback
(``EmulatorServer``), then 32 clients in one asyncio process, each with a keep-alive connection of
its own, all started together once connected, send ``GET /v2/objects/people/records/{id}`` for
``--seconds`` (``--provider kizen``: the Kizen emulator, ``GET /api/records/client_client/{id}``).
Two load generators, one after the other against a fresh server each:

* **raw**: asyncio streams writing the request bytes and reading each answer by its
  ``content-length`` — a cheap client, as ``wrk`` or ``h2load`` are used to measure servers: on
  this 2-core machine the clients share the cores with the server, and a costly client measures
  itself;
* **httpx**: one ``httpx.AsyncClient`` per task (what a user's code does) — GET/s here is bound by
  httpx's CPU on the same cores.

Counted: answers, transport errors, GET/s, the server process's CPU µs per GET (all its threads,
``time.process_time()`` read at SIGTERM, over the answers it gave; this figure does not depend on
what else shares the cores) and the clients' (this process's) CPU µs per GET.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections.abc import Callable

import httpx
from common import Figure, parser, print_figures, print_header

from crmbridge.plugins import get_provider

CLIENTS = 32

SERVE = """
import signal, sys, time
from crmbridge.plugins import get_provider
emu = get_provider(sys.argv[2]).create_emulator(seed="demo", demo_size=int(sys.argv[1]))
server = emu.serve()
if sys.argv[2] == "attio":
    paths = [f"/v2/objects/people/records/{r['id']['record_id']}" for r in emu.records("people")]
else:
    paths = [f"/api/records/client_client/{r['id']}" for r in emu.records("client_client")]
print(server.url, *paths[:200], flush=True)
served = time.process_time()

def report(*_):  # the server process's CPU seconds (all threads) while it served, and its answers
    print(time.process_time() - served, sum(emu.requests.values()), flush=True)
    raise SystemExit(0)

signal.signal(signal.SIGTERM, report)
server.serve_forever()
"""

#: Bytes the emulator holds per seeded record: the traced allocations of seeding ``n`` more.
SEED_BYTES = """
import gc, json, sys, tracemalloc
from crmbridge.plugins import get_provider
provider, small, large = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
cls = get_provider(provider)

def seeded(size):
    gc.collect()
    before = tracemalloc.get_traced_memory()[0]
    emu = cls.create_emulator(seed="demo", demo_size=size)
    gc.collect()
    return emu, tracemalloc.get_traced_memory()[0] - before

def count(emu):  # records of every object (and Attio list entries)
    ws = getattr(emu, "workspace", None)
    if ws is not None:
        return sum(len(t.rows) for t in ws.tables.values())
    return len(emu.store.record_index)

cls.create_emulator(seed="demo", demo_size=small)  # imports and caches, outside the count
tracemalloc.start()
a, held_small = seeded(small)
b, held_large = seeded(large)
records = count(b) - count(a)
print(json.dumps({"bytes": (held_large - held_small) / records, "records": records}))
"""


async def _window(
    tasks: list[asyncio.Task[None]],
    ready: list[int],
    start: asyncio.Event,
    counts: Callable[[], tuple[int, int]],
) -> tuple[int, int, float, float]:
    """Start every client at once when all are connected; answers, errors, and the seconds and
    this process's CPU seconds from the start to the last client's end (the clients' set-up, e.g.
    httpx's SSL context per client, is outside the window)."""
    while len(ready) < len(tasks) and not any(task.done() for task in tasks):  # done: failed
        await asyncio.sleep(0.01)
    began, cpu = time.monotonic(), time.process_time()
    start.set()
    await asyncio.gather(*tasks)
    return (*counts(), time.monotonic() - began, time.process_time() - cpu)


async def hammer(
    url: str, paths: list[str], headers: dict[str, str], seconds: float
) -> tuple[int, int, float, float]:
    """The httpx load: an ``httpx.AsyncClient`` per task, one connection each."""
    ok = errors = 0
    start, ready = asyncio.Event(), list[int]()

    async def client(n: int) -> None:
        nonlocal ok, errors
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits) as http:
            ready.append(n)
            await start.wait()
            end = time.monotonic() + seconds
            i = n
            while time.monotonic() < end:
                try:
                    response = await http.get(paths[i % len(paths)])
                    ok += response.status_code == 200
                except httpx.TransportError:
                    errors += 1
                i += CLIENTS

    tasks = [asyncio.create_task(client(n)) for n in range(CLIENTS)]
    return await _window(tasks, ready, start, lambda: (ok, errors))


async def hammer_raw(
    url: str, paths: list[str], headers: dict[str, str], seconds: float
) -> tuple[int, int, float, float]:
    """The cheap load: asyncio streams on keep-alive connections, each answer read by its
    ``content-length`` (the server sends no chunked answers). A connection that fails counts one
    error and is opened again."""
    host, port = url.removeprefix("http://").rsplit(":", 1)
    fields = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    requests = [
        f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n{fields}\r\n".encode() for path in paths
    ]
    ok = errors = 0
    start, ready = asyncio.Event(), list[int]()

    async def client(n: int) -> None:
        nonlocal ok, errors
        reader, writer = await asyncio.open_connection(host, int(port))
        ready.append(n)
        await start.wait()
        end = time.monotonic() + seconds
        i = n
        while time.monotonic() < end:
            try:
                writer.write(requests[i % len(requests)])
                head = await reader.readuntil(b"\r\n\r\n")
                length = int(head.lower().partition(b"content-length:")[2].split(b"\r\n", 1)[0])
                await reader.readexactly(length)
                ok += head.startswith(b"HTTP/1.1 200 ")
            except (OSError, asyncio.IncompleteReadError, ValueError):
                errors += 1
                writer.close()
                reader, writer = await asyncio.open_connection(host, int(port))
            i += CLIENTS
        writer.close()

    tasks = [asyncio.create_task(client(n)) for n in range(CLIENTS)]
    return await _window(tasks, ready, start, lambda: (ok, errors))


LOADS = {"raw": hammer_raw, "httpx": hammer}


def run(
    provider: str, load: str, seconds: float, size: int
) -> tuple[int, int, float, float, float]:
    """Answers, errors, seconds, and the server's and the clients' CPU seconds per answer."""
    headers = get_provider(provider).create_emulator().auth_headers()
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVE, str(size), provider], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        url, *paths = proc.stdout.readline().split()
        ok, errors, took, client_cpu = asyncio.run(LOADS[load](url, paths, headers, seconds))
    finally:
        proc.terminate()
        proc.wait(10)
    cpu, answered = proc.stdout.read().split()
    return ok, errors, took, float(cpu) / max(1, int(answered)), client_cpu / max(1, ok)


def one_connection(requests: int) -> tuple[float, float]:
    """One keep-alive connection (``http.client``, no asyncio) sending GETs one after the other to
    a server in this process: µs per round trip and CPU µs per round trip (client and server), the
    cost of one answer without 32 clients' scheduling."""
    import http.client

    emu = get_provider("attio").create_emulator(seed="demo", demo_size=300)
    ids = [r["id"]["record_id"] for r in emu.records("people")][:200]
    headers = {**emu.auth_headers(), "accept": "*/*"}
    with emu.serve() as server:
        conn = http.client.HTTPConnection(server.host, server.port)
        cpu, began = time.process_time(), time.perf_counter()
        for i in range(requests):
            conn.request("GET", f"/v2/objects/people/records/{ids[i % len(ids)]}", headers=headers)
            conn.getresponse().read()
        wall, cpu = time.perf_counter() - began, time.process_time() - cpu
        conn.close()
    return wall / requests * 1e6, cpu / requests * 1e6


def seed_bytes(provider: str, small: int, large: int) -> float:
    done = subprocess.run(
        [sys.executable, "-c", SEED_BYTES, provider, str(small), str(large)],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(json.loads(done.stdout)["bytes"])


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--seconds", type=float, default=5.0, help="per run (default 5)")
    p.add_argument("--runs", type=int, default=3, help="runs of each server (default 3)")
    p.add_argument(
        "--provider",
        choices=("attio", "kizen"),
        default="attio",
        help="the emulator served (default attio; kizen GETs client_client records)",
    )
    args = p.parse_args()
    seconds, runs, size = (0.5, 1, 50) if args.quick else (args.seconds, args.runs, 1000)
    print_header(
        f"Served {args.provider} emulator, {CLIENTS} concurrent clients (issue 24, figure 10)"
    )
    print(
        f"{'load generator':32} {'answers':>8} {'errors':>7} {'GET/s':>8} "
        f"{'server CPU µs/GET':>18} {'client CPU µs/GET':>18}"
    )
    worst_errors, best_rate, cpu_per_get = 0, {"raw": 0.0, "httpx": 0.0}, float("inf")
    for _ in range(runs):
        for load, label in (
            ("raw", "raw asyncio streams (as wrk)"),
            ("httpx", "httpx.AsyncClient"),
        ):
            ok, errors, took, cpu, client = run(args.provider, load, seconds, size)
            print(
                f"{label:32} {ok:8} {errors:7} {ok / took:8.0f} {cpu * 1e6:18.0f} "
                f"{client * 1e6:18.0f}"
            )
            worst_errors = max(worst_errors, errors)
            best_rate[load] = max(best_rate[load], ok / took)
            cpu_per_get = min(cpu_per_get, cpu)
    # The server's CPU per answer does not depend on what else the machine runs (unlike GET/s
    # here, where the client shares the cores): one core's worth of it is the GET/s a server
    # process can reach when the clients run elsewhere.
    print(f"\none core / server CPU per GET: {1 / cpu_per_get:,.0f} GET/s")
    wall, cpu = one_connection(100 if args.quick else 2000)
    print(f"one connection, one GET at a time: {wall:,.0f} µs per round trip, {cpu:,.0f} µs CPU")
    small, large = (50, 150) if args.quick else (1000, 3000)
    per_record = {name: seed_bytes(name, small, large) for name in ("attio", "kizen")}
    print(f"bytes per seeded record (traced, demo seed {small} → {large}): ", end="")
    print(", ".join(f"{name} {value:,.0f}" for name, value in per_record.items()))
    print()
    print_figures(
        [
            Figure("served_emulator_transport_errors", worst_errors, "<=", 0),
            Figure("served_emulator_get_per_s", best_rate["raw"], ">=", 3000),
            Figure("served_emulator_get_per_s_httpx_client", best_rate["httpx"], ">=", 3000),
            Figure("served_emulator_get_per_cpu_s", 1 / cpu_per_get, ">=", 3000),
            Figure("attio_bytes_per_seeded_record", per_record["attio"], "<=", 2048),
            Figure("kizen_bytes_per_seeded_record", per_record["kizen"], "<=", 2048),
        ]
    )


if __name__ == "__main__":
    main()
