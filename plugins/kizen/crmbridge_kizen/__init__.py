"""crmbridge provider for Kizen: ``crmbridge.connect("kizen", api_key=..., user_id=...,
business_id=...)``.

The public, stable names are the provider class and the codec functions; the emulator
(``crmbridge_kizen.emulator.KizenEmulator``) is imported only when asked for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from crmbridge.plugin import lazy_exports

if TYPE_CHECKING:  # what type checkers see; at run time each name loads on first use
    from .codec import decode_error, decode_field, decode_object, decode_record, encode_fields
    from .provider import KizenProvider

#: Each name → its module, imported on first use (PEP 562): loading the entry point
#: (``crmbridge_kizen.plugin``) imports this package first, and ``crmbridge --help`` loads every
#: plugin's entry point without needing the provider (issue 24: cold start; docs/plugins/tutorial.md).
_LAZY: dict[str, str] = {
    "decode_error": ".codec",
    "decode_field": ".codec",
    "decode_object": ".codec",
    "decode_record": ".codec",
    "encode_fields": ".codec",
    "KizenProvider": ".provider",
}


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)


__all__ = [
    "KizenProvider",
    "decode_error",
    "decode_field",
    "decode_object",
    "decode_record",
    "encode_fields",
]
