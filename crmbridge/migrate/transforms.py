"""Custom migration transforms: Python callables, and the ones plugins register.

Besides the built-in transforms (:data:`crmbridge.migrate.mapping.TRANSFORMS`), a field mapping may
name a transform a plugin registered through the ``crmbridge_register_transforms`` hook
(crmbridge/hookspecs.py), or one passed in Python (``parse_mapping(data, transforms={"slug":
fn})`` / ``load_mapping(path, transforms=...)``), or hold the callable itself in a mapping built
in Python (``{"to": "title", "transform": fn}``). The function takes the source value and returns
the value to write; what it raises fails that one record with its message
(:func:`apply_custom`), never the run.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..errors import ConfigError, ValidationError

__all__ = ["Transform", "apply_custom", "lookup", "registered_transforms"]

Transform = Callable[[Any], Any]


def registered_transforms() -> dict[str, Transform]:
    """Every transform the installed plugins register, by name. Two registrations of one name,
    or of a built-in name, are refused naming the plugin."""
    from ..plugins import get_plugin_manager
    from .mapping import TRANSFORMS

    out: dict[str, Transform] = {}
    pm = get_plugin_manager()
    for impl in pm.hook.crmbridge_register_transforms.get_hookimpls():

        def register(name: str, function: Transform, *, _plugin: str = impl.plugin_name) -> None:
            if not isinstance(name, str) or not name or not callable(function):
                raise ConfigError(f"plugin {_plugin!r} registered a transform that is not a "
                                  "name and a function")  # fmt: skip
            if name in TRANSFORMS or name in out:
                raise ConfigError(f"plugin {_plugin!r} registers transform {name!r}, which "
                                  "exists already")  # fmt: skip
            out[name] = function

        impl.function(register=register)
    return out


def apply_custom(name: str, function: Transform, field: str, value: Any) -> Any:
    """``function(value)``; what it raises becomes a :class:`ValidationError` for this record,
    naming the transform and the field."""
    try:
        return function(value)
    except Exception as exc:  # a user's function: any failure fails the record, not the run
        message = str(exc) or type(exc).__name__
        raise ValidationError(
            f"transform {name!r} failed on field {field!r}: {message}", code="transform_failed"
        ) from exc


def lookup(name: str, extra: Mapping[str, Transform] | None) -> Transform | None:
    """The custom transform ``name`` (passed in Python first, then from plugins), or ``None``."""
    if extra and name in extra:
        return extra[name]
    return registered_transforms().get(name)
