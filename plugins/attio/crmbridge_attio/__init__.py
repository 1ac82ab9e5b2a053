"""crmbridge provider for Attio: the REST API v2 codec (pure) and client (sans-IO plans).

Import-light on purpose: the emulator is imported only when ``connect("attio", emulator=True)``
asks for it.
"""

from __future__ import annotations

from .codec import decode_attribute, decode_entry, decode_error, decode_object, decode_record
from .provider import AttioProvider
from .values import MatchRef

__all__ = [
    "AttioProvider",
    "MatchRef",
    "decode_attribute",
    "decode_entry",
    "decode_error",
    "decode_object",
    "decode_record",
]
