"""The package's layout: layers the folders show, no import circle, old paths that still work.

``lint-imports`` (in the test command) checks the contracts of ``pyproject.toml``
on Python 3.11+; these tests read the source themselves, so they also run where
import-linter does not install, and they check what a contract cannot say:
that pure code does not reach ``django.db`` through another module either.
"""

from __future__ import annotations

import ast
import importlib
import sys
import warnings
from pathlib import Path

import pytest

import django_expense_ai
from django_expense_ai.moved import MOVED

PACKAGE = Path(django_expense_ai.__file__).parent
NAME = "django_expense_ai"

#: What may sit at the package root: the foundation (plus Django's apps/urls entry points).
FOUNDATION = {
    "__init__", "apps", "urls", "checks", "conf", "crypto", "default_rules", "exceptions", "exports",
    "hookspecs", "limits", "money", "moved", "plugins", "types", "validators",
}

#: Pure modules: plain values in, plain values out; no ORM, directly or through another module.
PURE = [
    "statements.formats", "statements.similarity", "statements.types", "statements.dedup",
    "statements.validation", "statements.reader", "chat.grammar", "chat.replies", "ledger.splits.arithmetic",
    "ledger.categories", "categorize.normalize", "categorize.memory", "categorize.classifier", "categorize.core",
    "budgets.allocations", "budgets.heuristic", "budgets.templates_data", "limits", "money", "conf",
    "exceptions", "crypto", "validators", "hookspecs", "exports", "moved", "types",
]


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _sources() -> dict[str, Path]:
    return {
        _module_name(p): p for p in sorted(PACKAGE.rglob("*.py")) if "migrations" not in p.relative_to(PACKAGE).parts
    }


def _imports(name: str, path: Path, known: set[str]) -> tuple[set[str], set[str]]:
    """(the package's modules ``name`` imports, the external modules it imports), lazy imports included."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    internal: set[str] = set()
    external: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            # ``from . import ledger`` imports a module; ``from .x import name`` imports from x.
            targets = [f"{module}.{a.name}" if f"{module}.{a.name}" in known else module for a in node.names]
        else:
            continue
        for target in targets:
            if target == NAME or target.startswith(NAME + "."):
                # The nearest known module (a name imported from a module is not a module).
                while target not in known and "." in target:
                    target = target.rpartition(".")[0]
                if target in known and target != name:
                    internal.add(target)
            else:
                external.add(target)
    return internal, external


def _graph():
    sources = _sources()
    known = set(sources)
    return {name: _imports(name, path, known) for name, path in sources.items()}


def test_the_package_root_holds_only_the_foundation():
    loose = sorted(p.stem for p in PACKAGE.glob("*.py") if p.stem not in FOUNDATION)
    assert loose == [], f"modules at the package root that belong in a layer's folder: {loose}"


def test_no_import_circle_between_modules():
    graph = {name: internal for name, (internal, _) in _graph().items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            # A package importing its own submodules (lazy exports) is not a circle.
            real = [m for m in component if not any(o.startswith(m + ".") for o in component)]
            if len(real) > 1:
                circles.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 5000))
    for node in sorted(graph):
        if node not in index:
            visit(node)
    assert circles == [], f"import circles: {circles}"


def test_pure_modules_reach_no_orm_through_any_import():
    graph = _graph()
    offenders = []
    for root in PURE:
        start = f"{NAME}.{root}"
        todo = [m for m in graph if m == start or m.startswith(start + ".")]
        assert todo, f"{start} does not exist"
        seen: set[str] = set()
        while todo:
            module = todo.pop()
            if module in seen:
                continue
            seen.add(module)
            internal, external = graph[module]
            bad = sorted(e for e in external if e == "django.db" or e.startswith("django.db."))
            if bad or module.startswith(f"{NAME}.models"):
                offenders.append(f"{start} -> ... -> {module} ({', '.join(bad) or 'the models'})")
            # A package's lazy exports load on attribute access, not on import of a pure submodule.
            todo += [m for m in internal if not start.startswith(m + ".") and not module.startswith(m + ".")]
    assert offenders == [], "\n".join(offenders)


def test_the_layer_checks_find_what_they_are_for(tmp_path, monkeypatch):
    # The graph sees a relative, lazy import of django.db inside a function.
    path = tmp_path / "mod.py"
    path.write_text("def f():\n    from django.db import models\n    from ..models import Category\n")
    internal, external = _imports(f"{NAME}.statements.mod", path, {f"{NAME}.models"})
    assert "django.db" in external and f"{NAME}.models" in internal


@pytest.mark.parametrize("old", sorted(MOVED))
def test_a_moved_module_still_imports_with_a_deprecation_warning(old):
    sys.modules.pop(old, None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        module = importlib.import_module(old)
    assert any(issubclass(w.category, DeprecationWarning) and MOVED[old] in str(w.message) for w in caught)
    # The warning names the importer, not the import system.
    assert all(Path(w.filename).name == "__init__.py" or "importlib" not in w.filename for w in caught)
    new = importlib.import_module(MOVED[old])
    public = [n for n in getattr(new, "__all__", dir(new)) if not n.startswith("_")]
    assert public, f"{MOVED[old]} exports nothing"
    for name in public:
        assert getattr(module, name) is getattr(new, name)


def test_from_import_of_an_old_path_gives_the_same_object():
    sys.modules.pop(f"{NAME}.reports", None)
    with pytest.warns(DeprecationWarning, match="ledger.reports"):
        from django_expense_ai.reports import monthly_totals
    from django_expense_ai.ledger.reports import monthly_totals as new

    assert monthly_totals is new


def test_readers_take_plain_values_not_settings():
    # The readers under statements/formats/ and the pure modules never look up EXPENSE_AI: their
    # callers (read_statement, the pipeline, the services) pass the values (limits.ReadLimits).
    graph = _graph()
    readers = [m for m in graph if m.startswith(f"{NAME}.statements.formats")] + [
        f"{NAME}.statements.{name}" for name in ("similarity", "types", "dedup", "validation")
    ] + [f"{NAME}.chat.grammar", f"{NAME}.ledger.splits.arithmetic", f"{NAME}.categorize.core"]
    offenders = sorted(m for m in readers if f"{NAME}.conf" in graph[m][0])
    assert offenders == [], f"readers that read settings themselves: {offenders}"


def test_read_limits_defaults_are_the_settings_defaults():
    from django_expense_ai.conf import Settings
    from django_expense_ai.limits import DEFAULT_LIMITS, ReadLimits, read_limits

    for field, setting in ReadLimits.setting_names().items():
        assert getattr(DEFAULT_LIMITS, field) == vars(Settings)[setting].default, setting
    from django.test import override_settings

    with override_settings(EXPENSE_AI={"MAX_CSV_COLUMNS": 7, "MAX_PDF_PAGES": 3}):
        assert (read_limits().max_csv_columns, read_limits().max_pdf_pages) == (7, 3)
