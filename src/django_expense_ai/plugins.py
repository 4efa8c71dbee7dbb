"""The plugin manager: built-ins, then ``EXPENSE_AI["PLUGINS"]``, then entry points.

Loaded lazily on first use (never at import time or in ``AppConfig.ready``),
so settings overrides in tests apply. ``reset()`` forgets the manager; the
next use rebuilds it.
"""

from __future__ import annotations

import importlib
import threading
from importlib import metadata
from typing import Any

import pluggy

from . import (
    hookimpl,  # noqa: E402,F401  (re-exported)
    hookspecs,
)
from .conf import settings
from .exceptions import PluginError

#: Built-in plugins, registered exactly like third-party ones.
DEFAULT_PLUGINS = (
    "django_expense_ai.statements.builtin_parsers",
    "django_expense_ai.providers.builtin",
)

_lock = threading.RLock()
_pm: pluggy.PluginManager | None = None


def _load_module(path: str, origin: str) -> Any:
    try:
        return importlib.import_module(path)
    except Exception as err:  # any import-time failure names the plugin
        raise PluginError(
            f"Could not load expense-ai plugin {path!r} (from {origin}): "
            f"{type(err).__name__}: {err}. Check that it is installed and importable."
        ) from err


def build_manager() -> pluggy.PluginManager:
    """Create a plugin manager with every plugin registered and checked."""
    pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    for path in DEFAULT_PLUGINS:
        pm.register(_load_module(path, "built-in"), name=path)
    for path in settings.PLUGINS:
        if pm.get_plugin(path) is None:
            pm.register(_load_module(path, 'EXPENSE_AI["PLUGINS"]'), name=path)
    for ep in metadata.entry_points(group=hookspecs.PROJECT_NAME):
        if pm.get_plugin(ep.name) is not None or pm.is_blocked(ep.name):
            continue
        try:
            plugin = ep.load()
        except Exception as err:
            raise PluginError(
                f"Could not load expense-ai plugin {ep.name!r} (entry point {ep.value!r} of "
                f"distribution {getattr(ep.dist, 'name', '?')}): {type(err).__name__}: {err}."
            ) from err
        pm.register(plugin, name=ep.name)
        _DIST_INFO[ep.name] = (getattr(ep.dist, "name", ""), getattr(ep.dist, "version", ""))
    pm.check_pending()
    return pm


_DIST_INFO: dict[str, tuple[str, str]] = {}


def get_plugin_manager() -> pluggy.PluginManager:
    """The process-wide manager, built on first use."""
    global _pm
    if _pm is None:
        with _lock:
            if _pm is None:
                _pm = build_manager()
    return _pm


def hook() -> Any:
    """Shortcut for ``get_plugin_manager().hook``."""
    return get_plugin_manager().hook


def reset() -> None:
    """Forget the manager and every registry built from it (tests, settings changes)."""
    global _pm
    with _lock:
        _pm = None
        for callback in list(_RESET_CALLBACKS):
            callback()


_RESET_CALLBACKS: list = []


def on_reset(callback) -> None:
    """Register a function run by :func:`reset` (registries that cache hook results)."""
    _RESET_CALLBACKS.append(callback)


def loaded_plugins() -> list[dict[str, Any]]:
    """Describe every loaded plugin: name, hooks implemented, distribution and version."""
    from . import __version__

    pm = get_plugin_manager()
    rows = []
    for name, plugin in pm.list_name_plugin():
        hooks = sorted(h.name for h in pm.get_hookcallers(plugin) or [])
        if name in _DIST_INFO:
            dist, version = _DIST_INFO[name]
        elif name in DEFAULT_PLUGINS:
            dist, version = "django-expense-ai", __version__
        else:
            dist, version = "", getattr(plugin, "__version__", "")
        rows.append({"name": name, "hooks": hooks, "distribution": dist, "version": version})
    return rows
