"""Figure 10 (issue 24): a served emulator under 32 concurrent clients — transport errors and GET/s.

Why: ``bench/migration.py``'s HTTP runs and the peer comparison serve the emulators over HTTP, in
processes of their own. With socketserver's listen backlog of 5, 32 clients connecting at once
got 9-10 ``ReadError``s per 600 requests; one lock around every request capped a server at
~1,000 GET/s.

Each run starts a fresh interpreter serving the Attio emulator (demo seed) on loopback
(``EmulatorServer``), then 32 asyncio tasks, each with a client of its own (its own connection,
opened at the same moment as the others'), send ``GET /v2/objects/people/records/{id}`` for
``--seconds``. Counted: answers, transport errors, GET/s. Beside it in the same run, the baseline:
the same server with socketserver's default backlog of 5 (``request_queue_size``), to show what the
backlog buys. The client side is one Python process too, so GET/s is a floor for the server.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time

import httpx
from common import Figure, parser, print_figures, print_header

CLIENTS = 32

SERVE = """
import sys
from crmbridge.emulation import _BoundedHTTPServer
from crmbridge.plugins import get_provider
backlog = int(sys.argv[1])
if backlog:
    _BoundedHTTPServer.request_queue_size = backlog
emu = get_provider("attio").create_emulator(seed="demo", demo_size=int(sys.argv[2]))
server = emu.serve()
ids = [r["id"]["record_id"] for r in emu.records("people")][:200]
print(server.url, *ids, flush=True)
server.serve_forever()
"""


async def hammer(
    url: str, ids: list[str], headers: dict[str, str], seconds: float
) -> tuple[int, int]:
    ok = errors = 0
    start = asyncio.Event()

    async def client(n: int) -> None:
        nonlocal ok, errors
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits) as http:
            await start.wait()
            end = time.monotonic() + seconds
            i = n
            while time.monotonic() < end:
                try:
                    response = await http.get(f"/v2/objects/people/records/{ids[i % len(ids)]}")
                    ok += response.status_code == 200
                except httpx.TransportError:
                    errors += 1
                i += CLIENTS

    tasks = [asyncio.create_task(client(n)) for n in range(CLIENTS)]
    await asyncio.sleep(0.05)
    start.set()
    await asyncio.gather(*tasks)
    return ok, errors


def run(backlog: int, seconds: float, size: int) -> tuple[int, int, float]:
    from crmbridge.plugins import get_provider

    headers = get_provider("attio").create_emulator().auth_headers()
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVE, str(backlog), str(size)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        url, *ids = proc.stdout.readline().split()
        began = time.monotonic()
        ok, errors = asyncio.run(hammer(url, ids, headers, seconds))
        return ok, errors, time.monotonic() - began
    finally:
        proc.terminate()
        proc.wait(10)


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--seconds", type=float, default=5.0, help="per run (default 5)")
    p.add_argument("--runs", type=int, default=3, help="runs of each server (default 3)")
    args = p.parse_args()
    seconds, runs, size = (0.5, 1, 50) if args.quick else (args.seconds, args.runs, 1000)
    print_header(f"Served Attio emulator, {CLIENTS} concurrent clients (issue 24, figure 10)")
    print(f"{'server':32} {'answers':>8} {'errors':>7} {'GET/s':>8}")
    worst_errors, best_rate = 0, 0.0
    for _ in range(runs):
        for label, backlog in (
            ("backlog 128 (crmbridge)", 0),
            ("backlog 5 (socketserver default)", 5),
        ):
            ok, errors, took = run(backlog, seconds, size)
            print(f"{label:32} {ok:8} {errors:7} {ok / took:8.0f}")
            if not backlog:
                worst_errors = max(worst_errors, errors)
                best_rate = max(best_rate, ok / took)
    print_figures(
        [
            Figure("served_emulator_transport_errors", worst_errors, "<=", 0),
            Figure("served_emulator_get_per_s", best_rate, ">=", 3000),
        ]
    )


if __name__ == "__main__":
    main()
