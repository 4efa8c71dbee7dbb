"""Statements: read a file (pure), or import it through the logged pipeline.

``read_statement`` needs no database and is imported eagerly.
``import_statement`` and ``reprocess`` live in :mod:`.pipeline`, which uses the
models; they are loaded on first access, so importing this package before the
app registry is ready (settings, providers) stays safe.
"""

from __future__ import annotations

from typing import Any

from .reader import read_statement

__all__ = ["import_statement", "read_statement", "reprocess"]

_LAZY = frozenset({"import_statement", "reprocess"})


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from . import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
