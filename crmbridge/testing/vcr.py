"""vcrpy configuration that never records a credential and matches POST bodies."""

from __future__ import annotations

import os
from typing import Any

from ..http import SENSITIVE_HEADERS

#: Match on the body too: Attio's ``records/query`` and Kizen's ``search`` are POSTs whose filter is
#: the body (https://vcrpy.readthedocs.io/en/latest/configuration.html#request-matching).
MATCH_ON = ("method", "scheme", "host", "port", "path", "query", "body")

VCR_CONFIG: dict[str, Any] = {
    "filter_headers": [(h, "[redacted]") for h in sorted(SENSITIVE_HEADERS)],
    "match_on": list(MATCH_ON),
    "decode_compressed_response": True,
    "record_mode": "none",
}


def vcr_config_for(record_env: str = "CRMBRIDGE_RECORD") -> dict[str, Any]:
    """:data:`VCR_CONFIG`, with ``record_mode`` taken from the environment variable
    ``record_env`` (e.g. ``CRMBRIDGE_RECORD=once`` to re-record against the live API)."""
    return {**VCR_CONFIG, "record_mode": os.environ.get(record_env, "none")}
