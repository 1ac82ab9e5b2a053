"""crmbridge provider for Attio: the REST API v2 codec (pure) and client (sans-IO plans).

Import-light on purpose: the emulator is imported only when ``connect("attio", emulator=True)``
asks for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from crmbridge.plugin import lazy_exports

if TYPE_CHECKING:  # what type checkers see; at run time each name loads on first use
    from .codec import decode_attribute, decode_entry, decode_error, decode_object, decode_record
    from .provider import AttioProvider
    from .values import MatchRef

#: Each name → its module, imported on first use (PEP 562): loading the entry point
#: (``crmbridge_attio.plugin``) imports this package first, and ``crmbridge --help`` loads every
#: plugin's entry point without needing the provider (issue 24: cold start; docs/plugins/tutorial.md).
_LAZY: dict[str, str] = {
    "decode_attribute": ".codec",
    "decode_entry": ".codec",
    "decode_error": ".codec",
    "decode_object": ".codec",
    "decode_record": ".codec",
    "AttioProvider": ".provider",
    "MatchRef": ".values",
}


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)


__all__ = [
    "AttioProvider",
    "MatchRef",
    "decode_attribute",
    "decode_entry",
    "decode_error",
    "decode_object",
    "decode_record",
]
