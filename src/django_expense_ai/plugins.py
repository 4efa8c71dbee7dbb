"""The plugin manager: built-ins, then ``EXPENSE_AI["PLUGINS"]``, then entry points.

Loaded lazily on first use (never at import time or in ``AppConfig.ready``),
so settings overrides in tests apply. ``reset()`` forgets the manager and every
registry built from it; the next use rebuilds them.

A plugin that cannot be imported, implements a hook that does not exist (a
typo) or takes an argument the hook does not offer stops the build with a
:class:`~django_expense_ai.exceptions.PluginError` that names the plugin.

The tables filled by ``register_*`` hooks (statement parsers, bank profiles,
providers) are :class:`HookRegistry` objects: built on first use, forgotten by
``reset()``.
"""

from __future__ import annotations

import difflib
import importlib
import threading
from collections.abc import Callable
from importlib import metadata
from typing import Any, Generic, Protocol, TypeVar

import pluggy

from . import (
    hookimpl,  # noqa: F401  (re-exported)
    hookspecs,
)
from .conf import settings
from .exceptions import PluginError

#: Built-in plugins, registered exactly like third-party ones.
DEFAULT_PLUGINS = (
    "django_expense_ai.statements.builtin_parsers",
    "django_expense_ai.statements.builtin_profiles",
    "django_expense_ai.providers.builtin",
    "django_expense_ai.statements.duplicates",
    "django_expense_ai.default_rules",
    "django_expense_ai.categorize.plugin",
)

ORIGIN_BUILTIN = "built-in"
ORIGIN_SETTINGS = 'EXPENSE_AI["PLUGINS"]'
ORIGIN_ENTRY_POINT = "entry point"

_lock = threading.RLock()
_pm: pluggy.PluginManager | None = None
#: plugin name -> (origin, distribution, version); rebuilt with the manager.
_PLUGIN_INFO: dict[str, tuple[str, str, str]] = {}
_RESET_CALLBACKS: list[Callable[[], None]] = []


def _load_module(path: Any, origin: str) -> Any:
    if not isinstance(path, str) or not path:
        raise PluginError(f"{origin} must list dotted module paths (strings); got {path!r}.")
    try:
        return importlib.import_module(path)
    except Exception as err:  # any import-time failure names the plugin
        raise PluginError(
            f"Could not load expense-ai plugin {path!r} (from {origin}): "
            f"{type(err).__name__}: {err}. Check that it is installed and importable."
        ) from err


def _register(pm: pluggy.PluginManager, plugin: Any, name: str, origin: str) -> None:
    try:
        pm.register(plugin, name=name)
    except pluggy.PluginValidationError as err:
        # A hookimpl whose arguments the hook does not offer, or a bad marker.
        raise PluginError(f"expense-ai plugin {name!r} (from {origin}) is invalid: {err}") from err


def _check_hooks(pm: pluggy.PluginManager) -> None:
    """Refuse hook implementations that match no hookspec (usually a typo)."""
    known = sorted(
        name
        for name in vars(hookspecs)
        if hasattr(getattr(hookspecs, name), f"{hookspecs.PROJECT_NAME}_spec")
    )
    for hook_name in sorted(vars(pm.hook)):
        if hook_name.startswith("_"):
            continue
        caller = getattr(pm.hook, hook_name)
        if caller.has_spec():
            continue
        for impl in caller.get_hookimpls():
            if impl.optionalhook:
                continue
            close = difflib.get_close_matches(hook_name, known, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else f" Known hooks: {', '.join(known)}."
            raise PluginError(
                f"expense-ai plugin {impl.plugin_name!r} implements {hook_name!r}, which is not a "
                f"django_expense_ai hook.{hint} (Use @hookimpl(optionalhook=True) for hooks of "
                "another project.)"
            )
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as err:  # pragma: no cover - _check_hooks found it first
        raise PluginError(f"expense-ai plugin check failed: {err}") from err


def build_manager() -> pluggy.PluginManager:
    """Create a plugin manager with every plugin registered and checked.

    Order: :data:`DEFAULT_PLUGINS`, then ``EXPENSE_AI["PLUGINS"]``, then entry
    points of the group ``django_expense_ai``. A module already registered (a
    settings path that is also an entry point) is registered once.

    :returns: the :class:`pluggy.PluginManager`.
    :raises PluginError: a plugin cannot be imported, takes arguments its hook
        does not offer, or implements a hook that does not exist.
    """
    pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    info: dict[str, tuple[str, str, str]] = {}
    for path in DEFAULT_PLUGINS:
        _register(pm, _load_module(path, ORIGIN_BUILTIN), path, ORIGIN_BUILTIN)
        info[path] = (ORIGIN_BUILTIN, "", "")
    configured = settings.PLUGINS
    if isinstance(configured, str):
        raise PluginError('EXPENSE_AI["PLUGINS"] must be a list of dotted paths, not one string.')
    for path in configured:
        module = _load_module(path, ORIGIN_SETTINGS)
        if pm.get_plugin(path) is None and not pm.is_registered(module):
            _register(pm, module, path, ORIGIN_SETTINGS)
            info[path] = (ORIGIN_SETTINGS, "", "")
    for ep in metadata.entry_points(group=hookspecs.PROJECT_NAME):
        if pm.get_plugin(ep.name) is not None or pm.is_blocked(ep.name):
            continue
        dist = getattr(ep.dist, "name", "") or ""
        try:
            plugin = ep.load()
        except Exception as err:
            raise PluginError(
                f"Could not load expense-ai plugin {ep.name!r} (entry point {ep.value!r} of "
                f"distribution {dist or '?'}): {type(err).__name__}: {err}. Reinstall or "
                "uninstall that distribution."
            ) from err
        if pm.is_registered(plugin):
            continue
        _register(pm, plugin, ep.name, f"{ORIGIN_ENTRY_POINT} of {dist or '?'}")
        info[ep.name] = (ORIGIN_ENTRY_POINT, dist, getattr(ep.dist, "version", "") or "")
    _check_hooks(pm)
    _PLUGIN_INFO.clear()
    _PLUGIN_INFO.update(info)
    return pm


def get_plugin_manager() -> pluggy.PluginManager:
    """The process-wide manager, built on first use.

    :returns: the :class:`pluggy.PluginManager`.
    :raises PluginError: see :func:`build_manager`; the next call tries again.
    """
    global _pm
    if _pm is None:
        with _lock:
            if _pm is None:
                _pm = build_manager()
    return _pm


def hook() -> Any:
    """Shortcut for ``get_plugin_manager().hook``.

    :returns: pluggy's hook relay; call ``hook().<name>(**kwargs)``.
    """
    return get_plugin_manager().hook


def reset() -> None:
    """Forget the manager and every registry built from it (tests, settings changes)."""
    global _pm
    with _lock:
        _pm = None
        for callback in list(_RESET_CALLBACKS):
            callback()


def on_reset(callback: Callable[[], None]) -> None:
    """Register a function run by :func:`reset` (registries that cache hook results)."""
    _RESET_CALLBACKS.append(callback)


class Named(Protocol):
    """Anything with a ``name``: what a :class:`HookRegistry` keeps."""

    @property
    def name(self) -> str: ...


T = TypeVar("T", bound=Named)


class HookRegistry(Generic[T]):
    """Named objects that plugins register through one ``register_*`` hook.

    Each implementation of the hook receives a ``register`` callback. The table
    is built on first use (never at import, so settings overrides apply), then
    cached until :func:`reset`. Objects keep registration order: pluggy calls
    later plugins first, so a plugin's objects come before the built-ins.

    :param hook_name: the hook, e.g. ``"register_statement_parsers"``.
    :param kind: what the objects are, in the plural, for messages (``"statement parsers"``).
    :param accept: checks one registered object and returns what the table keeps
        (it may build an instance from a class or a dict); raises
        :class:`PluginError` for an object it refuses. What it returns has a ``name``.
    """

    def __init__(self, hook_name: str, kind: str, accept: Callable[[Any], T]) -> None:
        self.hook_name = hook_name
        self.kind = kind
        self._accept = accept
        #: (objects in order, objects by name); one attribute, so a reader sees both or neither.
        self._built: tuple[tuple[T, ...], dict[str, T]] | None = None
        on_reset(self.clear)

    def _build(self) -> tuple[tuple[T, ...], dict[str, T]]:
        found: dict[str, T] = {}

        def register(obj: Any) -> None:
            item = self._accept(obj)
            name = item.name
            if name in found:
                first, second = type(found[name]).__qualname__, type(item).__qualname__
                which = f" ({first} and {second})" if first != second else ""
                raise PluginError(
                    f"Two {self.kind} are registered as {name!r}{which}; names must be unique. Give one of "
                    "them another name (manage.py expense_ai_plugins lists the plugins and their hooks)."
                )
            found[name] = item

        getattr(get_plugin_manager().hook, self.hook_name)(register=register)
        return tuple(found.values()), found

    def _table(self) -> tuple[tuple[T, ...], dict[str, T]]:
        built = self._built
        if built is None:
            # The manager's lock: reset() holds it while it clears, so a build and a reset
            # never interleave, and there is no second lock to take in the other order.
            with _lock:
                built = self._built
                if built is None:
                    built = self._built = self._build()
        return built

    def all(self) -> tuple[T, ...]:
        """Every registered object, in registration order; the same tuple until :func:`reset`.

        :raises PluginError: the plugin manager cannot be built, or ``accept`` refused
            an object, or two objects share a name.
        """
        return self._table()[0]

    def get(self, name: str) -> T | None:
        """The object registered as ``name``, or ``None``.

        :raises PluginError: as :meth:`all`.
        """
        return self._table()[1].get(name)

    def clear(self) -> None:
        """Forget the table; the next use asks the plugins again (:func:`reset` calls it)."""
        with _lock:
            self._built = None


def _distribution_of(module_name: str) -> tuple[str, str]:
    """``(distribution, version)`` that installed the top-level package of ``module_name``."""
    top = module_name.split(".", 1)[0]
    names = metadata.packages_distributions().get(top) or []
    for name in names:
        try:
            return name, metadata.version(name)
        except metadata.PackageNotFoundError:  # pragma: no cover - metadata is inconsistent
            continue
    return "", ""


def loaded_plugins() -> list[dict[str, Any]]:
    """Describe every loaded plugin.

    :returns: one dict per plugin, in registration order, with ``name``,
        ``origin`` (``built-in``, ``EXPENSE_AI["PLUGINS"]``, ``entry point`` or
        ``registered at runtime``), ``hooks`` (sorted hook names it implements),
        ``distribution`` and ``version`` (``""`` when unknown).
    :raises PluginError: see :func:`build_manager`.
    """
    from . import __version__

    pm = get_plugin_manager()
    rows = []
    for name, plugin in pm.list_name_plugin():
        hooks = sorted(h.name for h in pm.get_hookcallers(plugin) or [])
        origin, dist, version = _PLUGIN_INFO.get(name, ("registered at runtime", "", ""))
        if origin == ORIGIN_BUILTIN:
            dist, version = "django-expense-ai", __version__
        elif not dist:
            module_name = getattr(plugin, "__name__", None) or type(plugin).__module__
            dist, version = _distribution_of(module_name)
        version = version or str(getattr(plugin, "__version__", "") or "")
        rows.append(
            {"name": name, "origin": origin, "hooks": hooks, "distribution": dist, "version": version}
        )
    return rows
