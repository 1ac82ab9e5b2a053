"""Peer comparison (issue 24): crmbridge, the ``attio`` PyPI SDK and a hand-written httpx asyncio
script upsert the same people into the same served Attio emulator at Attio's real limits.

Why: the write limit (25 writes/s, docs/reference/attio.md §6) is what bounds a real migration or
sync; a client that sends faster than it is answered spends its time in 429s and back-off. Each
peer runs as its user would write it, with the same 8 concurrent tasks:

* **crmbridge**: ``connect_async("attio", base_url=…, token=…, concurrency=8)`` and
  ``upsert(..., match="email_addresses")`` (its token bucket paces the writes).
* **attio SDK** (Speakeasy-generated from Attio's OpenAPI spec, ``attio`` on PyPI): in a virtual
  environment of its own under ``--cache`` (created with ``uv`` by this script, so the SDK's
  dependencies never mix with crmbridge's), ``put_v2_objects_object_records_async`` with the SDK's
  own retry configuration (``RetryConfig("backoff", …)``, which honours ``Retry-After``). The
  script never calls ``/v2/self``: the SDK requires ``token_level`` there, which the live
  recording lacks and so the emulator does not send (docs/emulators/attio.md, "token_level").
* **httpx script**: ``PUT /v2/objects/people/records?matching_attribute=email_addresses`` from an
  ``httpx.AsyncClient``; on a 429 it sleeps the ``Retry-After`` and sends again.

The emulator is served in a process of its own (``EmulatorServer``) with Attio's real limits and
30 ms of latency per answer; every peer upserts ``--records`` new people (a prefix of its own), one
peer after the other, against the same server, the order rotated on each repeat. Figures: writes per
second from the peer's first write to its last answer as a share of the 25/s limit (utilisation;
target for crmbridge ≥ 0.95 and ahead of both; crmbridge reads the schema before its first write,
~0.2 s, the others read nothing), the same over the whole run beside it, and the 429 answers each
peer received. When PyPI cannot be reached (the SDK's
environment cannot be made), the SDK's row says so and the other two still run.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from common import Figure, parser, print_figures, print_header

import crmbridge as cb
from crmbridge.provider import KIND

TASKS = 8
WRITE_LIMIT = 25.0  # Attio's published writes per second (docs/reference/attio.md §6)
SDK_REQUIREMENT = "attio==0.26.1"

SERVE = """
from crmbridge.plugins import get_provider
emu = get_provider("attio").create_emulator(rate_limits=True, latency_ms=30)
server = emu.serve()
print(server.url, emu.token, flush=True)
server.serve_forever()
"""

#: Run inside the SDK's own environment: ``python - URL TOKEN RECORDS TASKS PREFIX``.
SDK_SCRIPT = """
import asyncio, json, sys, time
import attio, httpx
from attio.utils import BackoffStrategy, RetryConfig

url, token, records, tasks, prefix = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
limited = 0

async def count(response):
    global limited
    limited += response.status_code == 429

async def main():
    retry = RetryConfig("backoff", BackoffStrategy(500, 60000, 1.5, 600000), True)
    client = httpx.AsyncClient(follow_redirects=True, event_hooks={"response": [count]})
    sdk = attio.SDK(oauth2=token, server_url=url, async_client=client, retry_config=retry)
    todo = iter(range(records))
    done = 0

    async def worker():
        nonlocal done
        for i in todo:
            await sdk.records.put_v2_objects_object_records_async(
                object="people",
                matching_attribute="email_addresses",
                data={"values": {"email_addresses": [f"{prefix}{i}@example.com"], "job_title": ["Engineer"]}},
            )
            done += 1

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(tasks)))
    took = time.perf_counter() - start
    await client.aclose()
    print(json.dumps({"written": done, "seconds": took, "rate_limited": limited}))

asyncio.run(main())
"""


def _retry_after(response: httpx.Response) -> float:
    """``Retry-After`` in seconds or as an HTTP date (Attio sends a date, docs/reference/attio.md §6)."""
    value = response.headers.get("retry-after", "1")
    try:
        return max(0.0, float(value))
    except ValueError:
        when = email.utils.parsedate_to_datetime(value).timestamp()
        return max(0.0, when - time.time())


async def httpx_script(url: str, token: str, records: int, prefix: str) -> dict[str, Any]:
    """The hand-written client: what a user writes with httpx and the API reference."""
    limited = 0
    done = 0
    todo = iter(range(records))
    headers = {"authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60) as http:

        async def worker() -> None:
            nonlocal limited, done
            for i in todo:
                body = {
                    "data": {
                        "values": {
                            "email_addresses": [f"{prefix}{i}@example.com"],
                            "job_title": ["Engineer"],
                        }
                    }
                }
                while True:
                    response = await http.put(
                        "/v2/objects/people/records",
                        params={"matching_attribute": "email_addresses"},
                        json=body,
                    )
                    if response.status_code != 429:
                        response.raise_for_status()
                        break
                    limited += 1
                    await asyncio.sleep(_retry_after(response))
                done += 1

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(TASKS)))
        took = time.perf_counter() - start
    return {"written": done, "seconds": took, "rate_limited": limited}


class _Counting(httpx.AsyncHTTPTransport):
    """Counts the 429 answers crmbridge gets (its driver retries them, so they do not surface)."""

    def __init__(self) -> None:
        super().__init__()
        self.rate_limited = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await super().handle_async_request(request)
        self.rate_limited += response.status_code == 429
        return response


async def crmbridge_run(url: str, token: str, records: int, prefix: str) -> dict[str, Any]:
    transport = _Counting()
    done = 0
    todo = iter(range(records))
    first_write: list[float] = []

    def sent(request: httpx.Request) -> None:  # the schema and lookups are reads (KIND)
        if not first_write and request.extensions.get(KIND, "write") == "write":
            first_write.append(time.perf_counter())

    crm = cb.connect_async(
        "attio", base_url=url, token=token, transport=transport, concurrency=TASKS, on_request=sent
    )
    async with crm:

        async def worker() -> None:
            nonlocal done
            for i in todo:
                await crm.upsert(
                    "people",
                    {"email_addresses": f"{prefix}{i}@example.com", "job_title": "Engineer"},
                    match="email_addresses",
                )
                done += 1

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(TASKS)))
        end = time.perf_counter()
    return {
        "written": done,
        "seconds": end - start,
        "writing": end - first_write[0],
        "rate_limited": transport.rate_limited,
    }


def warm_up(url: str, token: str) -> None:
    """One lookup and one upsert before any peer runs, then a pause for the rate windows: the
    server's first answers load code (and, on a loaded machine, stalled long enough for the
    requests behind them to arrive bunched and be counted over the limit), which only the first
    peer would otherwise pay."""
    headers = {"authorization": f"Bearer {token}"}
    with httpx.Client(base_url=url, headers=headers, timeout=60) as http:
        http.post("/v2/objects/people/records/query", json={"limit": 1}).raise_for_status()
        http.put(
            "/v2/objects/people/records",
            params={"matching_attribute": "email_addresses"},
            json={"data": {"values": {"email_addresses": ["warm-up@example.com"]}}},
        ).raise_for_status()
    time.sleep(1.5)


def sdk_python(cache: Path, install: bool) -> tuple[Path | None, str]:
    """The SDK's own environment (made once with uv under ``cache``): its python, or ``None``
    and why not. ``install=False`` (``--quick``, the tests' smoke run: no network) only takes one
    made before."""
    venv = cache / "attio-sdk"
    python = venv / "bin" / "python"
    marker = venv / "installed.txt"
    if python.exists() and marker.exists() and marker.read_text() == SDK_REQUIREMENT:
        return python, "cached"
    if not install:
        return None, "--quick installs nothing; a full run makes the SDK's environment"
    uv = shutil.which("uv")
    if uv is None:
        return None, "uv is not installed (pip install uv)"
    try:
        subprocess.run([uv, "venv", "--quiet", "--python", sys.executable, str(venv)], check=True)
        subprocess.run(
            [uv, "pip", "install", "--quiet", "--python", str(python), SDK_REQUIREMENT],
            check=True,
            timeout=300,
            capture_output=True,
            text=True,
        )
    except subprocess.CalledProcessError as exc:
        tail = (exc.stderr or "").strip().splitlines()[-1:] or [str(exc)]
        return None, f"could not install {SDK_REQUIREMENT} from PyPI ({tail[0]})"
    except subprocess.TimeoutExpired:
        return None, f"installing {SDK_REQUIREMENT} took over 300 s (is PyPI reachable?)"
    marker.write_text(SDK_REQUIREMENT)
    return python, "installed now"


def sdk_run(python: Path, url: str, token: str, records: int, prefix: str) -> dict[str, Any]:
    done = subprocess.run(
        [str(python), "-", url, token, str(records), str(TASKS), prefix],
        input=SDK_SCRIPT,
        capture_output=True,
        text=True,
        check=False,
        timeout=3600,
    )
    if done.returncode != 0:
        raise SystemExit(f"the SDK script failed:\n{done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return result


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--records", type=int, default=500, help="people each peer upserts (500)")
    p.add_argument("--repeats", type=int, default=2, help="runs of each peer (2)")
    default_cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "crmbridge"
    p.add_argument("--cache", type=Path, default=default_cache, help="where the SDK's venv lives")
    args = p.parse_args()
    records, repeats = (30, 1) if args.quick else (args.records, args.repeats)
    print_header("Peers at Attio's real limits: crmbridge, the attio SDK, an httpx script")
    python, how = sdk_python(args.cache, install=not args.quick)
    print(f"attio SDK environment: {python.parent.parent if python else 'none'} ({how})")
    server = subprocess.Popen([sys.executable, "-c", SERVE], stdout=subprocess.PIPE, text=True)
    results: dict[str, list[dict[str, Any]]] = {"crmbridge": [], "attio SDK": [], "httpx": []}
    try:
        assert server.stdout is not None
        url, token = server.stdout.readline().split()
        warm_up(url, token)
        peers = list(results)
        for repeat in range(repeats):
            order = peers[repeat % 3 :] + peers[: repeat % 3]
            for peer in order:
                prefix = f"{peer.split()[0]}-{repeat}-"
                if peer == "crmbridge":
                    result = asyncio.run(crmbridge_run(url, token, records, prefix))
                elif peer == "httpx":
                    result = asyncio.run(httpx_script(url, token, records, prefix))
                elif python is None:
                    continue
                else:
                    result = sdk_run(python, url, token, records, prefix)
                # The other peers' first request is a write: their writing time is their run.
                writing = result.get("writing", result["seconds"])
                result["utilisation"] = result["written"] / writing / WRITE_LIMIT
                result["whole"] = result["written"] / result["seconds"] / WRITE_LIMIT
                results[peer].append(result)
                time.sleep(1.5)  # the emulator's one-second windows empty between peers
    finally:
        server.terminate()
        server.wait(10)
    print(
        f"\n{'peer':<12} {'records':>8} {'seconds':>8} {'writes/s':>9} {'util.':>6} "
        f"{'whole run':>9} {'429s':>6}"
    )
    for peer, runs in results.items():
        if not runs:
            print(f"{peer:<12} skipped: {how}")
        for r in runs:
            rate = r["utilisation"] * WRITE_LIMIT
            print(
                f"{peer:<12} {r['written']:>8} {r['seconds']:>8.1f} {rate:>9.2f} "
                f"{r['utilisation']:>6.3f} {r['whole']:>9.3f} {r['rate_limited']:>6}"
            )
    ours = min(r["utilisation"] for r in results["crmbridge"])
    others = [r["utilisation"] for peer in ("attio SDK", "httpx") for r in results[peer]]
    figures = [Figure("peers_crmbridge_utilisation", ours, ">=", 0.95)]
    if others:
        figures.append(Figure("peers_crmbridge_lead", ours - max(others), ">=", 0.0))
    print()
    print_figures(figures)


if __name__ == "__main__":
    main()
