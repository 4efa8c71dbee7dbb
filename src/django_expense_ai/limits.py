"""A processing deadline that readers check as they work.

Reading a statement must end within ``EXPENSE_AI["MAX_PROCESSING_SECONDS"]``
whatever the file holds, so the budget is checked *inside* a page and inside a
CSV, not only between pages. The pipeline (or :func:`read_statement`) opens a
budget with :func:`processing_deadline`; pure readers call :func:`check`
every so often, without knowing who set the budget. With no budget open,
:func:`check` costs one context-variable read and does nothing.

The caps a reader applies (pages, bytes, operators, columns, rows) travel as
one plain value, :class:`ReadLimits`: readers take it as an argument and never
read settings; the services and :func:`~.statements.read_statement` build it
from ``EXPENSE_AI`` with :func:`read_limits`.

Foundation layer: imports only the standard library, :mod:`.conf` and :mod:`.exceptions`.
"""

from __future__ import annotations

import contextlib
import contextvars
import time
from collections.abc import Iterator
from dataclasses import dataclass

from .conf import Settings, settings
from .exceptions import ProcessingLimitExceeded

__all__ = ["DEFAULT_LIMITS", "Deadline", "ReadLimits", "check", "current", "processing_deadline", "read_limits"]


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


@dataclass(frozen=True)
class ReadLimits:
    """What a reader may spend on one statement, as plain values (``0``: no cap).

    The defaults are those of the ``EXPENSE_AI`` settings of the same names
    (read from :class:`~.conf.Settings`, so they are written once);
    :func:`read_limits` gives the site's values.
    """

    #: ``MAX_UPLOAD_BYTES``: largest file accepted.
    max_upload_bytes: int = Settings.MAX_UPLOAD_BYTES.default
    #: ``MAX_PDF_PAGES``: largest PDF page count.
    max_pdf_pages: int = Settings.MAX_PDF_PAGES.default
    #: ``MAX_EXTRACTION_SECONDS``: time for text extraction, checked between pages.
    max_extraction_seconds: float = Settings.MAX_EXTRACTION_SECONDS.default
    #: ``MAX_PROCESSING_SECONDS``: the budget for reading a statement, checked inside pages and rows.
    max_processing_seconds: float = Settings.MAX_PROCESSING_SECONDS.default
    #: ``MAX_STATEMENT_ROWS``: most transactions in one statement.
    max_statement_rows: int = Settings.MAX_STATEMENT_ROWS.default
    #: ``MAX_PAGE_CONTENT_BYTES``: most decoded drawing instructions on one PDF page.
    max_page_content_bytes: int = Settings.MAX_PAGE_CONTENT_BYTES.default
    #: ``MAX_PAGE_TEXT_OPERATORS``: most text operators on one PDF page.
    max_page_text_operators: int = Settings.MAX_PAGE_TEXT_OPERATORS.default
    #: ``MAX_CSV_COLUMNS``: most columns on a CSV line.
    max_csv_columns: int = Settings.MAX_CSV_COLUMNS.default
    #: ``MAX_CSV_LINE_LENGTH``: longest CSV line, in characters.
    max_csv_line_length: int = Settings.MAX_CSV_LINE_LENGTH.default

    @classmethod
    def setting_names(cls) -> dict[str, str]:
        """Field name → the ``EXPENSE_AI`` setting it mirrors."""
        return {name: name.upper() for name in cls.__dataclass_fields__}


#: The library's defaults, as a value readers may use as an argument default.
DEFAULT_LIMITS = ReadLimits()


def read_limits() -> ReadLimits:
    """The site's :class:`ReadLimits`, from ``EXPENSE_AI`` (read now, so ``override_settings`` applies)."""
    return ReadLimits(**{field: getattr(settings, name) for field, name in ReadLimits.setting_names().items()})


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
