"""The package uses its dependencies' public APIs only, and its own modules' public names.

A private module or name of a dependency (``pypdf._…``, Django's ``_insert``,
``_raw_delete``, ``_prepare_related_fields_for_save``, ``re._parser``) breaks
or silently slows on the next release. This test reads every module of the
package and fails on:

* an import of a module path with a private part (``from pypdf._utils import …``,
  ``from re import _parser``), other than the package's own;
* an attribute with a leading underscore that the package does not define
  itself (``qs._raw_delete()``, ``page._layout_mode_fonts()``), other than
  the documented model API (``_meta``, ``_state``, ``_default_manager``,
  ``_base_manager``) and dunders.

Inside the package the same holds between modules: a module may use its own
``_private`` names only, never another module's (``pipeline._run`` from the
review, ``from .dedup import _AMOUNT_PLACES``). What one module needs from
another is that module's public API, with a docstring.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import django_expense_ai

PACKAGE = Path(django_expense_ai.__file__).parent
#: Django documents these as public model API despite the underscore.
DOCUMENTED = {"_meta", "_state", "_default_manager", "_base_manager"}
#: Names that exist only in a dependency's type stubs, imported under ``TYPE_CHECKING`` (nothing runs them):
#: django-stubs' alias for the configured user model, which its mypy plugin resolves (``types.UserLike``).
TYPING_ONLY = {("django.contrib.auth.models", "_User")}


def _modules():
    return sorted(p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts)


def _own_private_names() -> set[str]:
    names: set[str] = set()
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                names.add(node.attr)
            elif isinstance(node, ast.arg):
                names.add(node.arg)
    return {name for name in names if name.startswith("_")}


def _private_part(dotted: str) -> bool:
    return any(part.startswith("_") and not part.startswith("__") for part in dotted.split("."))


def test_no_private_module_or_name_of_a_dependency_is_used():
    own = _own_private_names()
    found = []
    for path in _modules():
        where = path.relative_to(PACKAGE.parent)
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                found += [f"{where}:{node.lineno} import {a.name}" for a in node.names if _private_part(a.name)]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                module = node.module or ""
                if module.split(".")[0] == "django_expense_ai":
                    continue
                if _private_part(module):
                    found.append(f"{where}:{node.lineno} from {module}")
                found += [
                    f"{where}:{node.lineno} from {module} import {a.name}"
                    for a in node.names
                    if a.name.startswith("_") and not a.name.startswith("__") and (module, a.name) not in TYPING_ONLY
                ]
            elif isinstance(node, ast.Attribute):
                name = node.attr
                if name.startswith("_") and not name.startswith("__") and name not in DOCUMENTED and name not in own:
                    found.append(f"{where}:{node.lineno} .{name}")
    assert found == [], "\n".join(found)


def test_the_check_finds_what_it_is_for(tmp_path):
    # The rules above, applied to a sample of what they forbid.
    sample = ast.parse("from pypdf._utils import x\nfrom re import _parser\nqs._raw_delete(u)\nimport pypdf._page\n")
    kinds = [type(n).__name__ for n in ast.walk(sample) if isinstance(n, (ast.Import, ast.ImportFrom))]
    assert kinds.count("ImportFrom") == 2 and _private_part("pypdf._page") and _private_part("pypdf._utils")
    assert "_raw_delete" not in _own_private_names()


def test_pure_modules_do_not_import_django_db():
    # import-linter (scripts/test.sh) keeps the package's own models out of pure code;
    # this keeps Django's ORM out of it too, so the readers run (and are fuzzed) without a database.
    tomllib = pytest.importorskip("tomllib", reason="tomllib is in the standard library from Python 3.11")
    config = tomllib.loads((PACKAGE.parents[1] / "pyproject.toml").read_text())
    contract = next(c for c in config["tool"]["importlinter"]["contracts"] if "Pure" in c["name"])
    found = []
    for dotted in contract["source_modules"]:
        base = PACKAGE.parent / dotted.replace(".", "/")
        paths = sorted(base.rglob("*.py")) if base.is_dir() else [base.with_suffix(".py")]
        for path in paths:
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
                if isinstance(node, ast.ImportFrom) and node.level == 0:
                    names = [node.module or ""]
                found += [f"{path.name}:{node.lineno} {n}" for n in names if n.startswith("django.db")]
    assert found == [], "\n".join(found)


# -- the package's own modules -----------------------------------------------------


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _others_private_names(name: str, is_package: bool, tree: ast.AST, known: set[str]) -> list[str]:
    """``lineno: what`` for each use in ``tree`` (module ``name``) of another package module's private name."""
    package = name if is_package else name.rpartition(".")[0]
    modules: dict[str, str] = {}  # local name -> the package module it is bound to
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                module = ".".join(base[: len(base) - node.level + 1] + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            if module.split(".")[0] != PACKAGE.name:
                continue
            for alias in node.names:
                if f"{module}.{alias.name}" in known:
                    modules[alias.asname or alias.name] = f"{module}.{alias.name}"
                elif _private_part(alias.name) and module != name:
                    found.append(f"{node.lineno}: from {module} import {alias.name}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname and alias.name.split(".")[0] == PACKAGE.name:
                    modules[alias.asname] = alias.name
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and _private_part(node.attr)
                and modules.get(node.value.id, name) != name):
            found.append(f"{node.lineno}: {node.value.id}.{node.attr} ({modules[node.value.id]})")
    return found


def test_no_module_uses_another_modules_private_names():
    known = {_module_name(path) for path in _modules()}
    found = []
    for path in _modules():
        name = _module_name(path)
        tree = ast.parse(path.read_text(), str(path))
        found += [f"{path.relative_to(PACKAGE.parent)}:{hit}"
                  for hit in _others_private_names(name, path.name == "__init__.py", tree, known)]
    assert found == [], "\n".join(found)


def test_the_private_name_check_finds_what_it_is_for():
    known = {"django_expense_ai.statements.pipeline", "django_expense_ai.statements.dedup",
             "django_expense_ai.statements.review"}
    sample = ast.parse(
        "from . import pipeline\nfrom .dedup import _AMOUNT_PLACES, match_rows\n"
        "import django_expense_ai.statements.pipeline as p\n"
        "def commit(ctx):\n    pipeline._run(ctx)\n    p._finish(ctx)\n    pipeline.run_stages(ctx)\n"
        "    return _own(ctx)\n"
    )
    hits = _others_private_names("django_expense_ai.statements.review", False, sample, known)
    assert hits == [
        "2: from django_expense_ai.statements.dedup import _AMOUNT_PLACES",
        "5: pipeline._run (django_expense_ai.statements.pipeline)",
        "6: p._finish (django_expense_ai.statements.pipeline)",
    ]
