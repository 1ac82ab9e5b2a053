"""One migration per workspace as Celery tasks: state in PostgreSQL, rate limits in Redis (issue 22,
docs/scale.md "Many workspaces on a task queue").

Run a worker on each machine (the same environment everywhere)::

    export CELERY_BROKER_URL=redis://redis.internal:6379/1
    export CRMBRIDGE_STATE_URL=postgresql://crmbridge:secret@db.internal/crm
    export CRMBRIDGE_RATE_LIMIT_STORE=redis://redis.internal:6379/2
    export CRMBRIDGE_WORKSPACES=/etc/crmbridge/workspaces.json
    celery -A tasks worker --pool solo -n worker1@%h

and queue one task per workspace: ``migrate_workspace.delay("acme")``.

``CRMBRIDGE_WORKSPACES`` is a JSON file ``{"acme": {"source": "attio", "target": "kizen",
"mapping": "attio-to-kizen.toml", "source_options": {...}, "target_options": {...}}}``: the
options (tokens included) stay on the workers and never travel through the broker — a task
message carries only the workspace's name.

What makes a killed worker harmless:

* ``acks_late``: the message is acknowledged when the migration has ended, not when it starts;
  a worker that dies before leaves it unacknowledged, and the Redis transport hands it to another
  worker once ``visibility_timeout`` has passed
  (https://docs.celeryq.dev/en/stable/getting-started/backends-and-brokers/redis.html#visibility-timeout).
  ``reject_on_worker_lost`` requeues it at once when only the pool's child process died
  (https://docs.celeryq.dev/en/stable/userguide/configuration.html#task-reject-on-worker-lost).
* the state's **lease** (crmbridge/migrate/state/postgres.py): the next worker takes the dead
  worker's lease once it has expired (``LEASE_TTL``) and resumes from the last checkpoint; until
  then it gets ``StateLocked`` and the task retries later. The lease also absorbs a message
  delivered twice (a migration longer than the visibility timeout): the second delivery waits for
  the first run's lease, then finds every record written (``noop``).
* the shared **rate limit** (crmbridge/shared_limits.py): workers migrating for one token never
  exceed its limit together.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from celery import Celery, Task

from crmbridge.migrate import StateLocked, migrate

#: Seconds a run's lease lasts unless renewed: how long a dead worker's workspace waits.
LEASE_TTL = float(os.environ.get("CRMBRIDGE_LEASE_TTL", "30"))
#: Seconds before an unacknowledged message goes to another worker: longer than most migrations
#: (a duplicate delivery waits on the lease, so a shorter one costs only a wait).
VISIBILITY_TIMEOUT = int(os.environ.get("CRMBRIDGE_VISIBILITY_TIMEOUT", "3600"))

app = Celery("crmbridge_migrations", broker=os.environ.get("CELERY_BROKER_URL"))
app.conf.update(
    result_backend=os.environ.get("CELERY_RESULT_BACKEND", os.environ.get("CELERY_BROKER_URL")),
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,  # a worker holds one workspace at a time, not four
    broker_transport_options={
        "visibility_timeout": VISIBILITY_TIMEOUT,
        # Look for abandoned messages every second, not every 100 s (kombu's Redis transport).
        "unacked_restore_interval": 1,
        "unacked_restore_throttle": 1,
    },
    result_expires=7 * 24 * 3600,
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
)


def _workspace(name: str) -> dict[str, Any]:
    workspaces = json.loads(Path(os.environ["CRMBRIDGE_WORKSPACES"]).read_text(encoding="utf-8"))
    if name not in workspaces:
        raise KeyError(f"no workspace {name!r} in {os.environ['CRMBRIDGE_WORKSPACES']}")
    return dict(workspaces[name])


@app.task(bind=True, max_retries=None)
def migrate_workspace(self: Task, name: str) -> dict[str, Any]:
    """Migrate workspace ``name`` (resuming where any earlier run stopped); returns the report
    as a dict. Its state is the schema ``ws_<name>`` of the shared PostgreSQL database."""
    ws = _workspace(name)
    limiter = os.environ.get("CRMBRIDGE_RATE_LIMIT_STORE")
    try:
        report = migrate(
            ws["source"],
            ws["target"],
            ws["mapping"],
            state=f"{os.environ['CRMBRIDGE_STATE_URL']}?schema=ws_{name}",
            resume=True,
            failures=None,
            lease_ttl=LEASE_TTL,
            source_options={**ws.get("source_options", {}), "limiter": limiter},
            target_options={**ws.get("target_options", {}), "limiter": limiter},
            command=f"celery migrate_workspace {name} ({self.request.hostname})",
        )
    except StateLocked as exc:
        # Another worker holds the lease: alive (a duplicate delivery) or dead (it expires).
        raise self.retry(exc=exc, countdown=max(1.0, LEASE_TTL / 4)) from None
    return json.loads(report.to_json())
