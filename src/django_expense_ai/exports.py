"""One way for a package to export names it loads on first use (PEP 562).

A package such as :mod:`django_expense_ai.chat` holds pure modules (no models)
and service modules (which import the models and so need Django's app
registry). Its ``__init__`` must stay importable before the registry is ready,
so the service names are resolved on first access::

    __getattr__, __dir__ = lazy_exports(__name__, {"submit_message": ".services"})

Foundation layer: the standard library only.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from importlib import import_module
from typing import Any


def lazy_exports(
    package: str, names: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Return the module ``__getattr__`` and ``__dir__`` for *package*.

    :param package: the package's ``__name__``.
    :param names: exported name → the module (relative to *package*, e.g.
        ``".services"``) that defines it.
    :return: ``(__getattr__, __dir__)`` to assign at module level. A name,
        once loaded, is stored in the package so later look-ups are plain
        attribute reads; an unknown name raises :class:`AttributeError`.
    """

    def load(name: str) -> Any:
        module = names.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(import_module(module, package), name)
        setattr(sys.modules[package], name, value)
        return value

    def listing() -> list[str]:
        return sorted({*vars(sys.modules[package]), *names})

    return load, listing
