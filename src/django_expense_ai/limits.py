"""A processing deadline that readers check as they work.

Reading a statement must end within ``EXPENSE_AI["MAX_PROCESSING_SECONDS"]``
whatever the file holds, so the budget is checked *inside* a page and inside a
CSV, not only between pages. The pipeline (or :func:`read_statement`) opens a
budget with :func:`processing_deadline`; pure readers call :func:`check`
every so often, without knowing who set the budget. With no budget open,
:func:`check` costs one context-variable read and does nothing.

Foundation layer: imports only the standard library and :mod:`.exceptions`.
"""

from __future__ import annotations

import contextlib
import contextvars
import time
from collections.abc import Iterator
from dataclasses import dataclass

from .exceptions import ProcessingLimitExceeded

__all__ = ["Deadline", "check", "current", "processing_deadline"]


@dataclass(frozen=True)
class Deadline:
    """An absolute ``time.monotonic()`` instant and the budget it came from."""

    expires_at: float
    seconds: float
    setting: str = "MAX_PROCESSING_SECONDS"

    def remaining(self) -> float:
        """Seconds left (negative once expired)."""
        return self.expires_at - time.monotonic()

    def check(self, where: str = "") -> None:
        """Raise :class:`ProcessingLimitExceeded` once the budget is spent.

        :param where: what was being read (``"page 3"``, ``"CSV row 120,000"``), for the message.
        """
        if time.monotonic() > self.expires_at:
            at = f" (stopped at {where})" if where else ""
            raise ProcessingLimitExceeded(
                f"Reading this statement took longer than the {self.seconds:g}-second limit{at}. "
                "Upload a shorter period or the bank's CSV/OFX export, or ask your administrator "
                f"to raise EXPENSE_AI[{self.setting!r}].",
                limit=self.setting,
                value=self.seconds,
            )


_current: contextvars.ContextVar[Deadline | None] = contextvars.ContextVar("expense_ai_deadline", default=None)


def current() -> Deadline | None:
    """The innermost open budget, or ``None``."""
    return _current.get()


def check(where: str = "") -> None:
    """Check the open budget, if any (see :meth:`Deadline.check`)."""
    deadline = _current.get()
    if deadline is not None:
        deadline.check(where)


@contextlib.contextmanager
def processing_deadline(seconds: float | None, *, setting: str = "MAX_PROCESSING_SECONDS") -> Iterator[Deadline | None]:
    """Open a budget of ``seconds`` for the code inside the ``with`` block.

    A budget already open and ending sooner stays in force (nested callers
    never extend it). ``None`` or ``0`` opens none.
    """
    if not seconds:
        yield _current.get()
        return
    outer = _current.get()
    deadline = Deadline(time.monotonic() + float(seconds), float(seconds), setting)
    if outer is not None and outer.expires_at <= deadline.expires_at:
        deadline = outer
    token = _current.set(deadline)
    try:
        yield deadline
    finally:
        _current.reset(token)
