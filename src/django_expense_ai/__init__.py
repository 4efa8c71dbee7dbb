"""django-expense-ai: an AI-assisted expense tracker as a pluggable Django app."""

from __future__ import annotations

import pluggy

from . import moved

__version__ = "2.0.0.dev0"

#: Decorator for plugin hook implementations (see :mod:`django_expense_ai.hookspecs`).
hookimpl = pluggy.HookimplMarker("django_expense_ai")

__all__ = ["__version__", "hookimpl"]

# Old module paths (before 2.0) keep importing, with a DeprecationWarning.
moved.install()
