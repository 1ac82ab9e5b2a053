"""Cold start (issue 24): ``python -c "import crmbridge"`` and ``crmbridge --help`` beside
``python -c "import httpx"``, each a fresh interpreter, interleaved so the machine's noise hits all
three alike; min to max over the repeats.

Why: a command or a script that talks to a CRM once pays its start-up every time. The targets are
issue 24's: ``import crmbridge`` ≤ 0.15 s, ``crmbridge --help`` ≤ 0.3 s. ``import httpx`` is the
floor any client built on httpx pays. ``--importtime`` prints the modules that cost the most
(``python -X importtime``), for finding what to make lazy.
"""

from __future__ import annotations

import subprocess
import sys
import time

from common import Figure, parser, print_figures, print_header

COMMANDS = {
    "import httpx": [sys.executable, "-c", "import httpx"],
    "import crmbridge": [sys.executable, "-c", "import crmbridge"],
    # httpx as crmbridge's clients load it: without httpx's own command line (crmbridge/_httpx_cli.py)
    "import crmbridge, httpx": [sys.executable, "-c", "import crmbridge, httpx"],
    "crmbridge --help": [sys.executable, "-m", "crmbridge", "--help"],
    # a client ready for its first request (the provider, httpx, the model; no emulator)
    "connect('attio')": [
        sys.executable,
        "-c",
        "import crmbridge; crmbridge.connect('attio', token='t' * 40)",
    ],
}


def _once(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def _importtime(top: int) -> None:
    """The ``top`` modules with the largest cumulative import time under ``import crmbridge``."""
    run = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import crmbridge"],
        check=True,
        capture_output=True,
        text=True,
    )
    rows = []
    for line in run.stderr.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[1].strip().isdigit():
            rows.append((int(parts[1]), parts[2].strip()))
    print(f"{'cumulative ms':>14}  module")
    for micros, name in sorted(rows, reverse=True)[:top]:
        print(f"{micros / 1000:>14.1f}  {name}")
    print()


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--repeats", type=int, default=7)
    p.add_argument("--importtime", type=int, default=0, metavar="N", help="show the N costliest")
    args = p.parse_args()
    repeats = 2 if args.quick else args.repeats
    print_header("Cold start: import and --help, beside import httpx")
    for argv in COMMANDS.values():  # warm the file-system cache once
        _once(argv)
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(repeats):
        for name, argv in COMMANDS.items():
            times[name].append(_once(argv))
    print(f"{'command':<24} {'min s':>8} {'max s':>8}   ({repeats} runs each, interleaved)")
    for name, values in times.items():
        print(f"{name:<24} {min(values):>8.3f} {max(values):>8.3f}")
    print()
    if args.importtime:
        _importtime(args.importtime)
    print_figures(
        [
            Figure("import_crmbridge_s", min(times["import crmbridge"]), "<=", 0.15),
            Figure("help_s", min(times["crmbridge --help"]), "<=", 0.3),
            # the floor beside them: httpx as crmbridge loads it costs no more than bare httpx
            Figure(
                "import_crmbridge_httpx_vs_httpx",
                min(times["import crmbridge, httpx"]) / min(times["import httpx"]),
                "<=",
                1.0,
            ),
        ]
    )


if __name__ == "__main__":
    main()
