"""vcrpy configuration that never records a credential and matches POST bodies.

The headers filtered are each registered provider's own (:meth:`Provider.sensitive_headers`,
by default the names its ``auth_headers()`` sends) and the HTTP credential headers
(:data:`crmbridge.http.SENSITIVE_HEADERS`), so a third-party plugin's ``Api-Token`` is filtered
as Attio's ``Authorization`` is. Filtering is done twice: by vcrpy's ``filter_headers`` and by a
``before_record_request`` that redacts every sensitive header in any case, which is also what
the pytest plugin installs into pytest-recording's cassettes (``pytest_recording_configure``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ..http import sensitive_headers

if TYPE_CHECKING:
    from ..provider import Provider

__all__ = ["MATCH_ON", "REDACTED", "redact_request", "vcr_config_for"]

#: Match on the body too: the records query and search endpoints are POSTs whose filter is the
#: body (docs/reference/attio.md §4, docs/reference/kizen.md §8).
MATCH_ON = ("method", "scheme", "host", "port", "path", "query", "body")
REDACTED = "[redacted]"


def redact_request(request: Any, names: Iterable[str] | None = None) -> Any:
    """A vcrpy ``before_record_request``: ``request`` with every sensitive header (``names``,
    default: :func:`crmbridge.http.sensitive_headers`) replaced by ``[redacted]``."""
    wanted = sensitive_headers() if names is None else frozenset(n.lower() for n in names)
    for name in list(request.headers):
        if name.lower() in wanted:
            request.headers[name] = REDACTED
    return request


def vcr_config_for(
    record_env: str = "CRMBRIDGE_RECORD", providers: Iterable[type[Provider]] | None = None
) -> dict[str, Any]:
    """vcrpy settings: the credentials of ``providers`` (default: every registered provider)
    filtered, POST bodies matched, ``record_mode`` from the environment variable ``record_env``
    (``none``, replay only, unless e.g. ``CRMBRIDGE_RECORD=once`` re-records)."""
    names = sensitive_headers(providers)
    return {
        "filter_headers": [(h, REDACTED) for h in sorted(names)],
        "before_record_request": lambda request: redact_request(request, names),
        "match_on": list(MATCH_ON),
        "decode_compressed_response": True,
        "record_mode": os.environ.get(record_env, "none"),
    }


def __getattr__(name: str) -> Any:
    """``VCR_CONFIG``: :func:`vcr_config_for` as it is when first asked for (it reads the
    registered providers, which are loaded then, not when this module is imported)."""
    if name == "VCR_CONFIG":
        return {**vcr_config_for(), "record_mode": "none"}
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
