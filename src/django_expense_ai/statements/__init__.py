"""Statements: read a file (pure), or import it through the logged pipeline.

``read_statement`` needs no database and is imported eagerly.
``import_statement`` and ``reprocess`` live in :mod:`.pipeline`, which uses the
models; they are loaded on first access, so importing this package before the
app registry is ready (settings, providers) stays safe.
"""

from __future__ import annotations

from ..exports import lazy_exports
from .reader import read_statement

__all__ = ["import_statement", "read_statement", "reprocess"]

__getattr__, __dir__ = lazy_exports(__name__, {"import_statement": ".pipeline", "reprocess": ".pipeline"})
