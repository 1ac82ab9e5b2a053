"""Finding providers: pluggy, the ``crmbridge`` entry point group, and the registry.

Plugins are loaded from the ``crmbridge`` entry point group the first time a provider is needed
(llm and datasette do the same). Two environment variables control it:

* ``CRMBRIDGE_LOAD_PLUGINS`` — a comma-separated allow-list of entry point names (or distribution
  names); only those load. Set it to an empty string to load none.
* ``CRMBRIDGE_DISABLE_PLUGINS`` — a comma-separated block-list.

Tests and applications can register a plugin object directly with :func:`register_plugin` (and
remove it with :func:`unregister_plugin`), without packaging it.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import os
import threading
from typing import TYPE_CHECKING, Any

import attrs
import pluggy

from . import hookspecs
from .errors import ConfigError

if TYPE_CHECKING:  # imported when a plugin registers one: the CLI's --help loads no provider
    from .provider import Provider

__all__ = [
    "ProviderInfo",
    "broken",
    "get_plugin_manager",
    "get_provider",
    "providers",
    "register_plugin",
    "unregister_plugin",
]

ENTRY_POINT_GROUP = "crmbridge"


@attrs.frozen
class ProviderInfo:
    """A registered provider and where it came from."""

    name: str
    cls: type[Provider]
    distribution: str | None
    version: str | None
    plugin: str


@attrs.frozen
class _Deferred:
    """A provider registered by import path (``register("module:Class", name=...)``): imported
    the first time it is asked for, so connecting to one provider loads no other (issue 24: cold
    start)."""

    name: str
    target: str
    distribution: str | None
    version: str | None
    plugin: str

    def load(self) -> ProviderInfo:
        """Import the class and check it as a registration by class is checked."""
        module, _, attribute = self.target.partition(":")
        try:
            cls = getattr(importlib.import_module(module), attribute)
        except Exception as exc:
            raise ConfigError(
                f"plugin {self.plugin!r}: {self.target} failed to import: "
                f"{type(exc).__name__}: {exc}"
            ) from exc
        _check_provider(cls, self.plugin)
        if cls.name != self.name:
            raise ConfigError(
                f"plugin {self.plugin!r}: {self.target} registers {cls.name!r}, not {self.name!r}"
            )
        return ProviderInfo(
            name=self.name,
            cls=cls,
            distribution=self.distribution,
            version=self.version,
            plugin=self.plugin,
        )


_lock = threading.RLock()
_pm: pluggy.PluginManager | None = None
_providers: dict[str, ProviderInfo | _Deferred] | None = None
#: Plugins whose registration failed, with the reason, by plugin name.
_broken: dict[str, str] = {}
#: Entry points that could not be imported, with the reason, by plugin name.
_unloadable: dict[str, str] = {}
#: The distribution each entry-point plugin came from, by plugin name.
_dists: dict[str, importlib.metadata.Distribution] = {}


def _names(var: str) -> set[str] | None:
    value = os.environ.get(var)
    if value is None:
        return None
    return {n.strip() for n in value.split(",") if n.strip()}


def _load_entry_points(pm: pluggy.PluginManager) -> None:
    allow = _names("CRMBRIDGE_LOAD_PLUGINS")
    block = _names("CRMBRIDGE_DISABLE_PLUGINS") or set()
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        dist = ep.dist.name if ep.dist is not None else None
        keys = {ep.name, dist} - {None}
        if allow is not None and not keys & allow:
            continue
        if keys & block or pm.get_plugin(ep.name) is not None:
            continue
        try:
            module = ep.load()
            pm.register(module, name=ep.name)
        except Exception as exc:  # one broken plugin must not take the others (or the CLI) down
            _unloadable[ep.name] = (
                f"{dist or 'unknown distribution'} failed to import: {type(exc).__name__}: {exc}"
            )
            continue
        if ep.dist is not None:
            _dists[ep.name] = ep.dist


def get_plugin_manager() -> pluggy.PluginManager:
    """The plugin manager, with entry points loaded (once)."""
    global _pm
    with _lock:
        if _pm is None:
            pm = pluggy.PluginManager("crmbridge")
            pm.add_hookspecs(hookspecs)
            _load_entry_points(pm)
            _pm = pm
        return _pm


def _check_provider(cls: Any, plugin: str) -> str:
    """``cls``'s provider name, if it is a :class:`Provider` subclass with one."""
    from .provider import Provider

    if not (isinstance(cls, type) and issubclass(cls, Provider)):
        raise ConfigError(
            f"plugin {plugin!r} registered {cls!r}, which is not a crmbridge.Provider subclass"
        )
    name = getattr(cls, "name", None)
    if not isinstance(name, str) or not name:
        raise ConfigError(f"plugin {plugin!r}: {cls.__name__}.name must be set")
    return name


def _registered(entry: ProviderInfo | _Deferred) -> object:
    """What a registration names: its class, or its import path (one plugin may register the
    class another already did: the same provider)."""
    return entry.cls if isinstance(entry, ProviderInfo) else entry.target


def _collect() -> dict[str, ProviderInfo | _Deferred]:
    pm = get_plugin_manager()
    _broken.clear()
    found: dict[str, ProviderInfo | _Deferred] = {}
    for impl in pm.hook.crmbridge_register_providers.get_hookimpls():
        dist = _dists.get(impl.plugin_name)
        plugin_name = impl.plugin_name

        def register(
            cls: type[Provider] | str,
            *,
            name: str | None = None,
            _dist: Any = dist,
            _plugin: str = plugin_name,
        ) -> None:
            distribution = _dist.metadata["Name"] if _dist is not None else None
            version = _dist.version if _dist is not None else None
            entry: ProviderInfo | _Deferred
            if isinstance(cls, str):
                module, colon, attribute = cls.partition(":")
                if not (module and colon and attribute):
                    raise ConfigError(
                        f"plugin {_plugin!r} registered {cls!r}: a provider given by its import "
                        "path is written 'module:Class'"
                    )
                if not isinstance(name, str) or not name:
                    raise ConfigError(
                        f"plugin {_plugin!r} registered {cls!r} by its import path: give "
                        "name= (the provider's name) too"
                    )
                entry = _Deferred(name, cls, distribution, version, _plugin)
            else:
                name = _check_provider(cls, _plugin)
                entry = ProviderInfo(name, cls, distribution, version, _plugin)
            same = found.get(name)
            if same is not None and _registered(same) != _registered(entry):
                raise ConfigError(
                    f"two plugins register the provider {name!r}: {same.plugin!r} and "
                    f"{_plugin!r}; disable one with CRMBRIDGE_DISABLE_PLUGINS"
                )
            found[name] = entry

        try:
            impl.function(register=register)
        except Exception as exc:  # one broken plugin must not take the others down
            reason = exc.message if isinstance(exc, ConfigError) else f"{type(exc).__name__}: {exc}"
            _broken[plugin_name] = reason
    return found


def _registry() -> dict[str, ProviderInfo | _Deferred]:
    global _providers
    with _lock:
        if _providers is None:
            _providers = _collect()
        return _providers


def _resolve(name: str) -> ProviderInfo | None:
    """The registration of ``name``, its class imported now if it was registered by path; one
    that fails to load is dropped and its plugin recorded as broken."""
    with _lock:
        registry = _registry()
        entry = registry.get(name)
        if isinstance(entry, _Deferred):
            try:
                loaded = entry.load()
            except ConfigError as exc:
                _broken[entry.plugin] = exc.message
                del registry[name]
                raise
            registry[name] = entry = loaded
        return entry


def providers() -> dict[str, ProviderInfo]:
    """Every registered provider by name (those registered by import path are imported now; one
    that fails to load is left out and listed by :func:`broken`)."""
    with _lock:
        found: dict[str, ProviderInfo] = {}
        for name in list(_registry()):
            try:
                info = _resolve(name)
            except ConfigError:
                continue
            if info is not None:
                found[name] = info
        return found


def broken() -> dict[str, str]:
    """Plugins that failed to import or to register, with the reason (``crmbridge plugins``
    shows them; the other plugins work as if they were not installed)."""
    providers()
    return {**_unloadable, **_broken}


def get_provider(name: str) -> type[Provider]:
    """The provider class registered as ``name``; a :class:`~crmbridge.ConfigError` that lists
    the installed ones and says how to install more otherwise."""
    if not isinstance(name, str) or not name:
        raise ConfigError(f"a provider name must be a non-empty string, got {name!r}")
    registry = _registry()
    key = name if name in registry else name.lower()
    if key in registry:
        info = _resolve(key)  # only this provider's module is imported
        if info is not None:
            return info.cls
    found = providers()
    installed = ", ".join(sorted(found)) or "none"
    failed = "".join(f" Plugin {p!r} failed to load: {why}." for p, why in sorted(broken().items()))
    raise ConfigError(
        f"no crmbridge provider named {name!r}; installed: {installed}.{failed} "
        f"Providers are plugins: `pip install crmbridge-{name.lower()}` if one exists, or see "
        "docs/plugins/tutorial.md to write your own. `crmbridge plugins` lists what is loaded."
    )


def _reset() -> None:
    global _providers
    with _lock:
        _providers = None


def register_plugin(plugin: object, name: str | None = None) -> None:
    """Register a plugin object (a module or any object with hook implementations)."""
    get_plugin_manager().register(plugin, name=name)
    _reset()


def unregister_plugin(plugin: object | None = None, name: str | None = None) -> None:
    """Remove a plugin registered with :func:`register_plugin`."""
    get_plugin_manager().unregister(plugin, name=name)
    _reset()


def reload() -> None:
    """Forget every loaded plugin and load the entry points again (after changing the
    environment variables)."""
    global _pm
    with _lock:
        _pm = None
        _dists.clear()
        _unloadable.clear()
        _reset()


def call_register_commands(cli: Any) -> None:
    """Let plugins add commands to the command line; a plugin whose hook fails is recorded
    (:func:`broken`) and the others' commands are still added."""
    for impl in get_plugin_manager().hook.crmbridge_register_commands.get_hookimpls():
        try:
            impl.function(cli=cli)
        except Exception as exc:
            _unloadable[impl.plugin_name] = f"its commands failed: {type(exc).__name__}: {exc}"
