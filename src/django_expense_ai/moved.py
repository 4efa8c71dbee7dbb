"""Old module paths that still import, with a :class:`DeprecationWarning`.

Modules that moved when the package was arranged by layer (2.0) keep their
old dotted path until 3.0: ``import django_expense_ai.reports`` (or
``from django_expense_ai.reports import monthly_totals``) warns once and gives
a stand-in module whose every attribute is read from the new module, so old
code keeps working and sees the same objects. The finder answers only for the
names in :data:`MOVED`; everything else imports as usual.

Foundation layer: the standard library only.
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import sys
import types
import warnings
from importlib import import_module
from typing import Any

#: Old module path → its new home (2.0). Removed in 3.0.
MOVED: dict[str, str] = {
    f"django_expense_ai.{old}": f"django_expense_ai.{new}"
    for old, new in {
        "categories": "ledger.categories",
        "classification": "models.choices",
        "currencies": "ledger.reference_data",
        "editing": "ledger.editing",
        "reports": "ledger.reports",
        "cache": "ledger.report_cache",
        "cache_signals": "ledger.cache_signals",
        "signals": "ledger.signals",
        "splits": "ledger.splits",
        "splits.arithmetic": "ledger.splits.arithmetic",
        "splits.services": "ledger.splits.services",
        "secrets": "maintenance.rotation",
        "archive": "maintenance.archive",
        "storage": "models.storage",
        "swappable": "models.swappable",
        "migration_ops": "models.migration_ops",
        "statements.views": "web.downloads",
    }.items()
}


class _Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds the old paths of :data:`MOVED` and loads them as stand-ins."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname not in MOVED:
            return None
        # A package's stand-in needs a search path, so its moved submodules resolve too.
        is_package = any(old.startswith(fullname + ".") for old in MOVED)
        return importlib.util.spec_from_loader(fullname, self, is_package=is_package)

    def create_module(self, spec: Any) -> None:
        return None  # the default empty module

    def exec_module(self, module: types.ModuleType) -> None:
        new = MOVED[module.__name__]
        # stacklevel=2: the import system's own frames are skipped, so this names the importer.
        warnings.warn(
            f"{module.__name__} moved to {new}; the old path goes away in django-expense-ai 3.0.",
            DeprecationWarning,
            stacklevel=2,
        )
        target = import_module(new)

        def attribute(name: str) -> Any:
            return getattr(target, name)

        module.__getattr__ = attribute  # type: ignore[method-assign]
        module.__dir__ = lambda: dir(target)  # type: ignore[method-assign]
        module.__doc__ = target.__doc__
        vars(module)["__all__"] = getattr(target, "__all__", [n for n in dir(target) if not n.startswith("_")])


def install() -> None:
    """Put the finder on :data:`sys.meta_path` (once); called by the package's ``__init__``."""
    if not any(isinstance(finder, _Finder) for finder in sys.meta_path):
        sys.meta_path.append(_Finder())
