"""crmbridge provider for Kizen: ``crmbridge.connect("kizen", api_key=..., user_id=...,
business_id=...)``.

The public, stable names are the provider class and the codec functions; the emulator
(``crmbridge_kizen.emulator.KizenEmulator``) is imported only when asked for.
"""

from __future__ import annotations

from .codec import decode_error, decode_field, decode_object, decode_record, encode_fields
from .provider import KizenProvider

__all__ = [
    "KizenProvider",
    "decode_error",
    "decode_field",
    "decode_object",
    "decode_record",
    "encode_fields",
]
