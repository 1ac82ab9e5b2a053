"""One migration run for ``test_soak.py``, in a process of its own (so it can be killed).

``crmbridge migrate`` with one difference: both clients back off for milliseconds instead of
seconds between retries (``RetryPolicy``), so that a run at 50% faults takes a minute instead of
an hour. The exit code is the command's: 0 when the report is ``ok`` (every record written),
1 when it is not or the run failed as a whole.

    python soak_run.py DIRECTION SOURCE_URL TARGET_URL STATE REPORT_JSON MAPPING [--resume]
"""

from __future__ import annotations

import sys
from pathlib import Path

import crmbridge as cb
from crmbridge.http import RetryPolicy
from crmbridge.migrate import migrate
from crmbridge.plugins import get_provider

FAST = RetryPolicy(wait_initial=0.005, wait_max=0.05, wait_jitter=0.005, retry_after_max=0.05)


def _connect(name: str, url: str) -> cb.AsyncBridge:
    credentials = get_provider(name).create_emulator().credentials()
    return cb.connect_async(name, base_url=url, retry=FAST, rate_limit=False, **credentials)


def main(argv: list[str]) -> int:
    direction, source_url, target_url, state, report_json, mapping, *rest = argv
    source, target = direction.split("->")
    try:
        report = migrate(
            _connect(source, source_url),
            _connect(target, target_url),
            mapping,
            state=state,
            resume="--resume" in rest,
            failures=None,
        )
    except cb.CRMError as exc:
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    Path(report_json).write_text(report.to_json(), encoding="utf-8")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
