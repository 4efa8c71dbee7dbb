"""PDF statements: unlock (RC4/AES incl. AES-256 R6), extract text, read the table.

Three steps, each usable on its own:

* :func:`open_pdf` / :func:`unlock_pdf` turn bytes (and maybe a password) into a
  document of the configured engine (pypdf or PDFium, see :mod:`.pdf_engines`),
  mapping every way that can fail onto our error types;
* :func:`extract_pages` pulls the text of each page laid out in columns (pypdf's
  *layout* mode, or PDFium's text laid out the same way), under page-count,
  page-content and time limits;
* :func:`parse_statement_text` reads dated rows out of that text: date /
  description / debit / credit / balance tables, signed amounts, ``CR``/``DR``,
  parentheses, continuation lines, and dates whose year must be inferred.

Pure: no database. The password is never put into a message or a result.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from ... import limits
from ...exceptions import (
    InvalidArgument,
    NoTextLayer,
    StatementError,
    StatementTooLarge,
)
from ...limits import DEFAULT_LIMITS, ReadLimits
from ...money import is_known_currency, quantize, quantum
from ..types import ParsedStatement, StatementRow
from . import guess_day_first, mask_account, parse_amount, parse_date_parts, pdf_engines, resolve_year
from .pdf_engines import PdfDocument

__all__ = [
    "UnlockedPdf",
    "extract_pages",
    "needs_password",
    "open_pdf",
    "page_count",
    "parse_statement_text",
    "unlock_pdf",
]


# -- opening -------------------------------------------------------------------


@dataclass(frozen=True)
class UnlockedPdf:
    """An opened PDF and how it was opened.

    ``password_needed`` is True only when a non-empty password opened it; a PDF
    encrypted with an empty user password (common for "no copying" files) is
    ``encrypted`` but does not need one. ``reader`` is the engine's
    :class:`~.pdf_engines.PdfDocument` (``reader.engine`` names the engine).
    """

    reader: PdfDocument
    encrypted: bool
    password_needed: bool

    def __repr__(self) -> str:
        return (
            f"UnlockedPdf(engine={self.reader.engine!r}, encrypted={self.encrypted}, "
            f"password_needed={self.password_needed})"
        )


def unlock_pdf(
    data: bytes, password: str | None = None, *, engine: str = "auto", limits: ReadLimits = DEFAULT_LIMITS
) -> UnlockedPdf:
    """Open a PDF with the configured engine, decrypting it when needed.

    Without a password (or with ``""``) the empty password is tried, as every
    PDF viewer does. With one, it is tried first and the empty password after,
    so a stored password that does not belong to this file does no harm when
    the file opens without one. A password given for an unencrypted file is
    ignored.

    :param engine: ``"auto"``, ``"pypdf"`` or ``"pdfium"`` (the services pass ``EXPENSE_AI["PDF_ENGINE"]``).
    :param limits: the page caps the document applies (the services pass the site's, see
        :func:`~django_expense_ai.limits.read_limits`).
    :returns: an :class:`UnlockedPdf`.
    :raises PasswordRequired: encrypted, no password given, empty one fails.
    :raises WrongPassword: encrypted, and neither the given nor the empty password opens it.
    :raises CorruptStatement: not a readable PDF.
    """
    document = pdf_engines.open_document(data, password, engine=engine, limits=limits)
    return UnlockedPdf(document, encrypted=document.encrypted, password_needed=document.password_needed)


def open_pdf(
    data: bytes, password: str | None = None, *, engine: str = "auto", limits: ReadLimits = DEFAULT_LIMITS
) -> PdfDocument:
    """Open (and if needed decrypt) a PDF.

    :returns: a :class:`~.pdf_engines.PdfDocument` ready for :func:`extract_pages`.
    :raises PasswordRequired: encrypted and no password given (empty one fails).
    :raises WrongPassword: the given password does not open it.
    :raises CorruptStatement: not a readable PDF.
    """
    return unlock_pdf(data, password, engine=engine, limits=limits).reader


def needs_password(data: bytes, *, engine: str = "auto") -> bool:
    """Tell whether opening ``data`` needs a non-empty password.

    :returns: True when the PDF is encrypted and the empty password does not open it.
    :raises CorruptStatement: not a readable PDF.
    """
    return pdf_engines.needs_password(data, engine=engine)


# -- text extraction -----------------------------------------------------------


def extract_pages(
    handle: Any,
    *,
    max_pages: int = DEFAULT_LIMITS.max_pdf_pages,
    max_seconds: float = DEFAULT_LIMITS.max_extraction_seconds,
    layout: bool = True,
) -> tuple[str, ...]:
    """Extract the text of every page.

    Layout mode keeps table columns on one line, which the table reader needs;
    with pypdf, a page whose layout extraction fails falls back to plain
    extraction. Each page is measured before it is read (see
    :func:`~.pdf_engines.check_page_content`) and the processing deadline is
    checked inside it.

    :param handle: what :func:`open_pdf` returned (or anything with pypdf's ``pages``).
    :param max_pages: limit (``MAX_PDF_PAGES``; ``0``: none).
    :param max_seconds: time budget checked between pages (``MAX_EXTRACTION_SECONDS``; ``0``: none).
    :returns: one string per page.
    :raises StatementTooLarge: too many pages, or the time budget ran out.
    :raises ProcessingLimitExceeded: a page over ``MAX_PAGE_CONTENT_BYTES`` or
        ``MAX_PAGE_TEXT_OPERATORS``, or past ``MAX_PROCESSING_SECONDS``.
    :raises NoTextLayer: no page has any text (scanned or image-only PDF).
    :raises CorruptStatement: the page tree or a content stream is broken.
    """
    document = handle if isinstance(handle, PdfDocument) else pdf_engines.PypdfDocument(handle)
    count = document.page_count()
    if max_pages and count > max_pages:
        raise StatementTooLarge(
            f"This PDF has {count} pages; the limit is {max_pages}. Upload one statement period at a time."
        )
    started = time.monotonic()
    texts: list[str] = []
    for index in range(count):
        number = index + 1
        if max_seconds and time.monotonic() - started > max_seconds:
            raise StatementTooLarge(
                f"Reading the text took longer than {max_seconds:g} seconds (stopped at page {number} "
                f"of {count}). Upload a shorter statement or a CSV/OFX export."
            )
        texts.append(_strip_trailing(document.page_text(index, layout=layout)))
    if not any(text.strip() for text in texts):
        raise NoTextLayer(
            "No text could be extracted from this PDF: it looks scanned or image-only. "
            "Upload the bank's original (text) PDF or a CSV/OFX export; scanned statements need OCR first."
        )
    return tuple(texts)


def page_count(data: bytes, *, engine: str = "auto") -> int | None:
    """How many pages ``data`` has, without reading any page, or ``None`` when it cannot be told.

    Used to decide, before the work starts, whether a file is small enough to
    read in the request. An encrypted file is opened with the empty password
    only; when that fails the count is unknown.
    """
    try:
        document = pdf_engines.open_document(data, None, engine=engine)
    except StatementError:
        return None
    try:
        return document.page_count()
    except StatementError:
        return None
    finally:
        document.close()


def _strip_trailing(text: str | None) -> str:
    return "\n".join(line.rstrip() for line in (text or "").splitlines())


# -- reading the table ---------------------------------------------------------

_DATE_START = re.compile(
    r"^\s*(?P<date>"
    r"\d{4}\s*[-/.]\s*\d{1,2}\s*[-/.]\s*\d{1,2}"  # 2024-03-01
    r"|\d{1,2}\s*(?P<sep>[/.\-])\s*\d{1,2}(?:\s*(?P=sep)\s*(?:\d{4}|\d{2}))?"  # 01/03/2024, 01/03, 1.3.24
    r"|\d{1,2}[\s\-]+[A-Za-z]{3,9}\.?(?:[\s\-,]+(?:\d{4}|\d{2}(?!\d)))?"  # 01 Mar 2024, 01-Mar-24
    r"|[A-Za-z]{3,9}\.?\s+\d{1,2}(?:,?\s+\d{4})?"  # Mar 01, 2024
    r")(?=\s|$)"
)
# _DATE_START for a match at a position (``^`` matches only where the string starts).
_DATE_AT = re.compile(_DATE_START.pattern.removeprefix("^"))
# A money amount: two decimals, optional sign, currency, parentheses and CR/DR.
_MONEY = re.compile(
    r"(?<!\S)(?P<m>\(?[-+\u2212]?(?:[A-Z]{1,3}\$|[$£€¥₹])?\s?[-+]?"
    r"\d{1,3}(?:[,.'\u2019 ]\d{3})*[.,]\d{2}\)?-?(?:\s?(?:CR|DR|Cr|Dr))?)(?=\s|$)"
)
# The characters an amount can end with, besides a digit (``12.00)``, ``12.00-``, ``12.00 CR``).
_MONEY_LAST_CHARS = ")-Rr"
_SPACES = re.compile(r"\s+")
# Text between runs of two or more whitespace characters (a layout column, or a phrase).
_TEXT_RUN = re.compile(r"\S+(?:\s\S+)*")
_SIGN_MARK = re.compile(r"[-\u2212(]|CR|DR", re.I)
_DEBIT_MARK = re.compile(r"DR", re.I)
_CREDIT_MARK = re.compile(r"CR|[-\u2212(]", re.I)
_HEADER_WORDS = {
    "date": re.compile(r"\bdate\b|\bdatum\b|\bfecha\b", re.I),
    "description": re.compile(
        r"description|details|particulars|narrative|transaction|merchant|payee|omschrijving|libell", re.I
    ),
}
_COLUMN_WORDS: dict[str, re.Pattern[str]] = {
    "debit": re.compile(
        r"\b(?:debits?|withdrawals?|paid\s+out|money\s+out|payments?\s+out|charges?|dr)\b", re.I
    ),
    "credit": re.compile(r"\b(?:credits?|deposits?|paid\s+in|money\s+in|receipts?|cr)\b", re.I),
    "balance": re.compile(r"\bbalance\b", re.I),
    "amount": re.compile(r"\bamount\b", re.I),
}
_OPENING = re.compile(
    r"previous\s+balance|last\s+month'?s\s+balance|opening\s+balance|balance\s+(?:b/?f|brought\s+forward)"
    r"|brought\s+forward|balance\s+forward|start(?:ing)?\s+balance|beginning\s+balance",
    re.I,
)
_CLOSING = re.compile(
    r"closing\s+balance|new\s+balance|ending\s+balance|balance\s+(?:c/?f|carried\s+forward)|carried\s+forward"
    r"|total\s+amount\s+due|statement\s+balance",
    re.I,
)
_CARD = re.compile(
    r"credit\s+card|card\s+(?:number|no)|credit\s+limit|minimum\s+(?:payment|due)|payment\s+due", re.I
)
_CARD_PAYMENT = re.compile(r"(?:\bpymt\b|\bpayment\b)[^\n]{0,30}?\bthank\s*you\b", re.I)
_STOP_CONTINUATION = re.compile(r"page\s+\d+\s+of\s+\d+|^\s*(?:sub)?total\b|continued", re.I)
_LABELLED_DATES = re.compile(
    r"\b(?:statement\s+date|statement\s+period|period|closing\s+date|as\s+of|as\s+at|from|to|through|ending)"
    r"\s*:?\s*(?P<date>\d{1,2}[\s\-/.][A-Za-z0-9]{1,9}[\s\-/.,]+\d{2,4}|[A-Za-z]{3,9}\.?\s+\d{1,2},?\s+\d{4}"
    r"|\d{4}-\d{2}-\d{2})",
    re.I,
)
_PERIOD = re.compile(
    r"(?P<a>\d{1,2}[\s\-/.][A-Za-z0-9]{1,9}[\s\-/.,]+\d{2,4}|[A-Za-z]{3,9}\.?\s+\d{1,2},?\s+\d{4}|\d{4}-\d{2}-\d{2})"
    r"\s*(?:to|-|–|through|until|bis|au)\s*"
    r"(?P<b>\d{1,2}[\s\-/.][A-Za-z0-9]{1,9}[\s\-/.,]+\d{2,4}|[A-Za-z]{3,9}\.?\s+\d{1,2},?\s+\d{4}|\d{4}-\d{2}-\d{2})",
    re.I,
)
_ANY_FULL_DATE = re.compile(
    r"(?<![\d/.\-])(?:\d{1,2}[/.\-]\d{1,2}[/.\-]\d{4}|\d{4}-\d{2}-\d{2}|\d{1,2}\s+[A-Za-z]{3,9}\.?,?\s+\d{2,4}"
    r"|[A-Za-z]{3,9}\.?\s+\d{1,2},\s+\d{4})(?![\d/])"
)
_CURRENCY_HINTS = (
    (re.compile(r"\((?P<c>[A-Z]{3})\)"), None),
    (re.compile(r"currency\s*:?\s*(?P<c>[A-Z]{3})\b", re.I), None),
    (re.compile(r"\bamounts?\s+in\s+(?P<c>[A-Z]{3})\b", re.I), None),
    (re.compile(r"S\$\s?\d"), "SGD"),
    (re.compile(r"A\$\s?\d"), "AUD"),
    (re.compile(r"C\$\s?\d"), "CAD"),
    (re.compile(r"HK\$\s?\d"), "HKD"),
    (re.compile(r"R\$\s?\d"), "BRL"),
    (re.compile(r"£\s?\d"), "GBP"),
    (re.compile(r"€\s?\d|\d\s?€"), "EUR"),
    (re.compile(r"₹\s?\d"), "INR"),
    (re.compile(r"(?<![A-Z])\$\s?\d"), "USD"),
)


def _folded(pattern: re.Pattern[str]) -> re.Pattern[str]:
    """A case-sensitive twin of a ``re.I`` pattern, for lower-cased ASCII text.

    ``re.I`` turns off the regex engine's literal-prefix search, so a scan of a whole
    statement costs several times more with it. On ASCII text ``text.lower()`` keeps
    every offset, and a pattern written in lower case (``a-z`` classes) then matches
    exactly where the ``re.I`` one matches in the original (see :func:`_fold`).
    """
    source = pattern.pattern.replace("A-Za-z", "a-z")
    literals = re.sub(r"\\[A-Za-z]|\(\?P[<=]", "", source)  # escapes like \S and group syntax are not letters
    if literals != literals.lower():  # an upper-case letter would never match folded text
        raise InvalidArgument(f"Write the pattern in lower case (a-z classes) to fold it: {source!r}")
    return re.compile(source, pattern.flags & ~re.I)


def _fold(text: str) -> str | None:
    """``text`` lower-cased when that keeps every offset (ASCII), else None."""
    return text.lower() if text.isascii() else None


_CARD_FOLDED = _folded(_CARD)
_CARD_WORDS = ("card", "limit", "minimum", "due")  # one is in every _CARD match
# The labels without their leading ``\b``: then the engine can jump from one possible
# first letter to the next; :func:`_labelled_dates` checks the word boundary itself.
_LABEL_START = r"\b(?:"
_LABELLED_DATES_FOLDED = re.compile("(?:" + _folded(_LABELLED_DATES).pattern.removeprefix(_LABEL_START))
_WORD_CHAR = re.compile(r"\w")

_ACCOUNT = re.compile(
    r"(?:account|acct|card)\s*(?:number|no\.?|#)?\s*:?\s*(?P<n>\d[\d\s\-*Xx]{6,}\d)"
    r"|(?P<card>\b\d{4}[\s-]\d{4}[\s-]\d{4}[\s-]\d{1,4}\b)",
    re.I,
)


@dataclass
class _Columns:
    """Character offsets of the money columns, read off the table header."""

    spans: dict[str, tuple[int, int]] = field(default_factory=dict)
    description_start: int = 0
    # Rows put their amounts at the same few offsets: remember each answer.
    _seen: dict[tuple[int, int], str | None] = field(default_factory=dict, repr=False, compare=False)

    def nearest(self, span: tuple[int, int]) -> str | None:
        """The column whose header is nearest to ``span`` (``(start, end)`` of an amount)."""
        try:
            return self._seen[span]
        except KeyError:
            name = self._seen[span] = self._nearest(*span)
            return name

    def _nearest(self, start: int, end: int) -> str | None:
        best: tuple[int, str] | None = None
        for name, (a, b) in self.spans.items():
            gap = 0 if end >= a and start <= b else min(abs(start - b), abs(end - a))
            if best is None or gap < best[0]:
                best = (gap, name)
        return best[1] if best else None


@dataclass(slots=True)
class _Draft:
    """A row being read; continuation lines may still extend its description."""

    parts: tuple[int | None, int, int]
    description: str
    amount: Decimal | None
    balance: Decimal | None
    signed: bool  # the amount carried its own sign (minus, parentheses, CR/DR, column)
    line_no: int
    continuation_lines: int = 0
    # The row's second date (transaction and posting dates), in the order printed.
    second_parts: tuple[int | None, int, int] | None = None


def _header_columns(line: str) -> _Columns | None:
    if line.isascii():
        # Most lines are rows: a substring test rules them out far quicker than the
        # re.I search (every match of the date word contains "dat" or "fecha").
        folded = line.lower()
        if "dat" not in folded and "fecha" not in folded:
            return None
    if not (_HEADER_WORDS["date"].search(line) and _HEADER_WORDS["description"].search(line)):
        return None
    columns = _Columns()
    for name, pattern in _COLUMN_WORDS.items():
        for m in pattern.finditer(line):
            columns.spans.setdefault(name, (m.start(), m.end()))
    if not columns.spans:
        return None
    d = _HEADER_WORDS["description"].search(line)
    columns.description_start = d.start() if d else 0
    return columns


def _money_tokens(line: str, from_pos: int) -> list[re.Match[str]]:
    """The amounts that end the line, left to right (text between them ends the run)."""
    # Layout text is mostly runs of spaces; scanning them with _MONEY costs more than
    # the rest of the parse. A match never holds two whitespace characters in a row and
    # starts on whitespace only when whitespace precedes it, so every match lies in one
    # _TEXT_RUN or starts on the space just before it: scanning only there finds exactly
    # the matches a scan of the whole line finds. Only the amounts at the end count, so
    # the runs are read right to left, and the first one that cannot end in an amount
    # (a description) stops the search without being scanned.
    if line.isprintable():
        runs: Iterable[tuple[int, int]] = _printable_runs(line, from_pos)
    else:
        runs = reversed([r.span() for r in _TEXT_RUN.finditer(line, from_pos)])
    return _trailing_amounts(line, from_pos, runs)


def _printable_runs(line: str, from_pos: int) -> Iterator[tuple[int, int]]:
    """The ``_TEXT_RUN`` spans of a printable ``line`` from ``from_pos``, last first, found lazily."""
    # Printable text has no whitespace but " " (tabs, no-break spaces and line breaks are
    # not printable), so runs are split by "  ", which str methods find far quicker.
    end = len(line.rstrip(" "))
    while end > from_pos:
        gap = line.rfind("  ", from_pos, end)
        yield (gap + 2 if gap >= 0 else from_pos), end
        if gap < 0:
            return
        end = len(line[:gap].rstrip(" "))


def _trailing_amounts(line: str, from_pos: int, runs: Iterable[tuple[int, int]]) -> list[re.Match[str]]:
    """The amounts that end the line, given its ``_TEXT_RUN`` spans from ``from_pos``, last first."""
    trailing: list[re.Match[str]] = []
    cursor = len(line.rstrip())
    for start, end in runs:
        last = line[end - 1]
        # Every amount ends in a digit, ")", "-" or the R of CR/DR; a run ending otherwise
        # has text after its last amount, which ends the trailing amounts.
        if not (last.isdecimal() or last in _MONEY_LAST_CHARS):
            break
        scan = max(from_pos, start - 1)  # a match may start on the space before the run
        # Usually the run is one amount: one anchored match says so, and is what a scan finds first.
        m = _MONEY.match(line, scan, end)
        matches = (m,) if m is not None and m.end() == end else tuple(_MONEY.finditer(line, scan, end))
        if not matches:
            break
        for m in reversed(matches):
            if line[m.end() : cursor].strip():
                trailing.reverse()
                return trailing
            trailing.append(m)
            cursor = m.start()
    trailing.reverse()
    return trailing


def _is_signed(token: str) -> bool:
    return bool(_SIGN_MARK.search(token))


_UNSEEN: Any = object()  # a cache miss (None is a remembered answer)


class _DateReader:
    """``parse_date_parts`` of a row's date text, remembered: many rows share a date."""

    def __init__(self, day_first: bool) -> None:
        self.day_first = day_first
        self.seen: dict[str, tuple[int | None, int, int] | None] = {}

    def __call__(self, text: str) -> tuple[int | None, int, int] | None:
        parts = self.seen.get(text, _UNSEEN)
        if parts is _UNSEEN:
            parts = self.seen[text] = parse_date_parts(_SPACES.sub(" ", text), day_first=self.day_first)
        return parts


class _AmountReader:
    """``parse_amount`` of a money token (spaces dropped), remembered: amounts repeat."""

    def __init__(self) -> None:
        self.seen: dict[str, Decimal | None] = {}

    def __call__(self, token: str) -> Decimal | None:
        # get(), not try/except: most balances are new, and a raised KeyError costs more than the parse.
        value = self.seen.get(token, _UNSEEN)
        if value is _UNSEEN:
            value = self.seen[token] = parse_amount(token.replace(" ", ""))
        return value


def parse_statement_text(pages: Sequence[str], *, parser: str = "pdf-table") -> ParsedStatement:
    """Read the transaction table out of extracted statement text.

    A row is a line that starts with a date and ends with one or more amounts.
    With a header naming debit/credit/balance columns, each amount goes to the
    column it sits under; without one, the last of two amounts is the balance.
    Lines without a date or amount directly under a row continue its
    description. A row with two dates has its transaction date as ``date`` and
    its posting date as ``posted_date`` (the earlier column is the transaction
    date, decided once for the statement). Balance lines ("Previous balance",
    "LAST MONTH'S BALANCE", "Closing balance" ...), dated or not, set the
    opening and closing balances and are never rows. On credit-card statements
    (detected from words like "credit limit" or "payment due", or a payment line
    such as "Pymt - Thank You") a bare amount is a charge, so it becomes
    negative, a credit (parentheses, minus, ``CR``) positive, and the balance
    owed negative.

    :returns: a :class:`ParsedStatement` (possibly with no rows, then with a warning).
    :raises ProcessingLimitExceeded: the processing deadline passed (checked every 1,024 lines).
    :raises: nothing else for odd text; it returns fewer rows and lower confidence.
    """
    text = "\n".join(pages)
    folded = _fold(text)
    warnings: list[str] = []
    card = _is_card_statement(text, folded)
    currency = _find_currency(text)
    # Each line is split, date-matched and header-checked once (the same lines
    # text.splitlines() gives, less empty ones between pages, which never match).
    page_lines = [page.splitlines() for page in pages]
    date_matches = [_DATE_START.match(line) for lines in page_lines for line in lines]
    headers = [header for page, lines in zip(pages, page_lines, strict=True) for header in _page_headers(page, lines)]
    day_first = guess_day_first((m.group("date") for m in date_matches if m), currency=currency)
    period_start, period_end, references = _reference_dates(text, day_first, folded)
    any_header = any(header is not None for header in headers)
    table = _read_table(page_lines, date_matches, headers, any_header=any_header, day_first=day_first, card=card)
    if not card and _card_convention(table.drafts):
        card = True
        _as_card_statement(table, warnings)
    rows, balance_checked = _finish_rows(table.drafts, references, currency, table.opening, card, warnings)
    if not rows:
        warnings.append(
            "No transaction rows were found in this PDF's text (no lines starting with a date and "
            "ending with an amount). If it is a statement, its layout needs a bank-specific parser "
            "or the AI parser."
        )
    dates = [row.date for row in rows]
    confidence = 0.0
    if rows:
        confidence = 0.9 if any_header else 0.6
        if balance_checked:
            confidence = min(1.0, confidence + 0.05)
    return ParsedStatement(
        format="pdf",
        parser=parser,
        rows=tuple(rows),
        raw_text=text,
        currency=currency,
        period_start=period_start or (min(dates) if dates else None),
        period_end=period_end or (max(dates) if dates else None),
        opening_balance=_q(table.opening, currency),
        closing_balance=_q(table.closing, currency),
        account_hint=_find_account(text),
        confidence=confidence,
        warnings=tuple(warnings),
    )


@dataclass(slots=True)
class _Table:
    """What the lines of a statement hold: its rows (drafts) and its stated balances."""

    drafts: list[_Draft] = field(default_factory=list)
    opening: Decimal | None = None
    closing: Decimal | None = None


def _read_table(
    page_lines: Sequence[Sequence[str]],
    date_matches: Sequence[re.Match[str] | None],
    headers: Sequence[_Columns | None],
    *,
    any_header: bool,
    day_first: bool,
    card: bool,
) -> _Table:
    """Read every line: a header sets the columns, a dated line with amounts is a row, a
    balance line a balance, and a text line under a row continues its description.

    ``date_matches`` and ``headers`` hold each line's ``_DATE_START`` match and
    header columns, in the order of ``page_lines``; with ``any_header``, lines
    above the first header are no table.
    """
    read_date = _DateReader(day_first)
    read_amount = _AmountReader()
    found = _Table()
    drafts = found.drafts
    columns: _Columns | None = None
    # What the current header decides for every row under it (see _row_from_line).
    table: _Columns | None = None
    card_signs = card
    line_no = 0
    for lines in page_lines:
        previous: _Draft | None = None
        in_table = columns is not None
        for line in lines:
            m = date_matches[line_no]
            header = headers[line_no]
            line_no += 1
            if not line_no & 1023:  # the processing deadline, every 1,024 lines
                limits.check(f"statement text line {line_no:,}")
            if not line.strip():
                previous = None
                continue
            if header is not None:
                columns, in_table, previous = header, True, None
                table = columns if len(columns.spans) > 1 else None
                card_signs = card and not ({"debit", "credit"} & columns.spans.keys())
                continue
            if any_header and not in_table:
                continue
            parts = read_date(m.group("date")) if m else None
            if parts and m is not None:
                draft = _row_from_line(line, m.end(), parts, table, card_signs, line_no, read_amount, read_date)
                if draft is not None and not _is_balance_line(draft.description):
                    drafts.append(draft)
                    previous = draft
                    continue
            tokens = _money_tokens(line, 0)
            if tokens:
                # A balance line (dated or not) is the statement's balance, never a transaction.
                label = " ".join(line[m.end() if parts and m is not None else 0 : tokens[0].start()].split())
                _read_balance(found, label, tokens[-1].group("m"), read_amount, card)
                previous = None
            elif previous is not None and _continues(previous, line, columns):
                previous.description = f"{previous.description} {' '.join(line.split())}".strip()
                previous.continuation_lines += 1
            else:
                previous = None
    return found


def _read_balance(found: _Table, label: str, token: str, read_amount: _AmountReader, card: bool) -> None:
    """Keep the amount ``token`` of a balance line labelled ``label``: the first opening, the last closing."""
    value = read_amount(token)
    if value is None:
        return
    if _OPENING.search(label):
        if found.opening is None:
            found.opening = _card_balance(value, token) if card else value
    elif _CLOSING.search(label):
        found.closing = _card_balance(value, token) if card else value


def _continues(previous: _Draft, line: str, columns: _Columns | None) -> bool:
    """Whether ``line`` (no date, no amount) continues the description of the row above."""
    return (
        previous.continuation_lines < 3
        and not _STOP_CONTINUATION.search(line)
        and (columns is None or len(line) - len(line.lstrip()) >= columns.description_start - 4)
    )


def _as_card_statement(found: _Table, warnings: list[str]) -> None:
    """Turn rows read with a bank's signs into a card's (charges printed bare), balances too."""
    for draft in found.drafts:
        draft.amount = _card_value(draft)
        draft.signed = True
    found.opening = -found.opening if found.opening is not None else None
    found.closing = -found.closing if found.closing is not None else None
    warnings.append(
        "Read as a credit-card statement: charges are printed without a sign and only payments "
        "and refunds carry one."
    )


def _is_card_statement(text: str, folded: str | None) -> bool:
    # A card payment line ("Pymt - Thank You", "PAYMENT - THANK YOU") is a card issuer's convention.
    if ("thank" in folded if folded is not None else True) and _CARD_PAYMENT.search(text):
        return True
    if folded is None:
        return bool(_CARD.search(text))
    # Every _CARD match holds one of these words; most statements have none of them,
    # and a substring test over the whole text is far quicker than the regex scan.
    return any(word in folded for word in _CARD_WORDS) and bool(_CARD_FOLDED.search(folded))


def _page_headers(page: str, lines: list[str]) -> list[_Columns | None]:
    """:func:`_header_columns` of each of ``lines`` (``page.splitlines()``)."""
    if not page.isascii():
        return [_header_columns(line) for line in lines]
    # Lower-casing ASCII keeps the line breaks, so the lower-cased lines pair up with
    # ``lines``; the substring test is _header_columns' own prefilter, without a call per row.
    return [
        _header_columns(line) if "dat" in low or "fecha" in low else None
        for line, low in zip(lines, page.lower().splitlines(), strict=True)
    ]


def _row_from_line(
    line: str,
    date_end: int,
    parts: tuple[int | None, int, int],
    table: _Columns | None,
    card_signs: bool,
    line_no: int,
    read_amount: _AmountReader,
    read_date: _DateReader,
) -> _Draft | None:
    """The row on ``line``, or None when it has no description or amount.

    ``table``: the header's columns when it names more than one (amounts go to
    the column they sit under); ``card_signs``: a card statement whose header has
    no debit/credit column (a bare amount is a charge).
    """
    # A second date right after the first: transaction and posting dates (which is which is
    # settled for the whole statement in _finish_rows).
    rest_start = date_end
    second: tuple[int | None, int, int] | None = None
    if m2 := _DATE_AT.match(line, date_end):
        # Read in the statement's date order; a text that is a date only the other way round
        # is still a date column (skipped), just not one to keep.
        second = read_date(m2.group("date"))
        second_text = _SPACES.sub(" ", m2.group("date"))
        if second is not None or parse_date_parts(second_text, day_first=not read_date.day_first):
            rest_start = m2.end()
    tokens = _money_tokens(line, rest_start)
    if not tokens:
        return None
    description = " ".join(line[rest_start : tokens[0].start()].split())
    if not description:
        return None
    amount: Decimal | None = None
    balance: Decimal | None = None
    signed = False
    amount_token = ""
    if table is not None:
        for token in tokens:
            value = read_amount(token.group("m"))
            if value is None:
                continue
            where = table.nearest(token.span("m"))
            if where == "balance":
                balance = value
            elif where == "debit":
                amount, signed = -abs(value), True
            elif where == "credit":
                amount, signed = abs(value), True
            else:
                amount, amount_token = value, token.group("m")
                signed = _is_signed(amount_token)
    else:
        values = [read_amount(t.group("m")) for t in tokens]
        if len(values) >= 2:
            amount, balance = values[-2], values[-1]
            amount_token = tokens[-2].group("m")
        else:
            amount, amount_token = values[0], tokens[0].group("m")
        signed = _is_signed(amount_token)
    if amount is None:
        return None
    if card_signs:
        amount, signed = _card_amount(amount, amount_token), True
    return _Draft(parts, description, amount, balance, signed, line_no, second_parts=second)


_PAYMENT_WORDS = re.compile(r"\b(?:payments?|pymt|autopay|refunds?|returns?|credits?|thank\s*you)\b", re.I)


def _card_convention(drafts: Sequence[_Draft]) -> bool:
    """Whether the rows follow a card's convention: bare charges, signed payments and refunds.

    At least two bare amounts, at least one signed, every signed row worded as a
    payment or refund, and no running balance (a balance gives the signs itself).
    """
    bare = signed = 0
    for draft in drafts:
        if draft.balance is not None or draft.amount is None:
            return False
        if not draft.signed:
            bare += 1
        elif _PAYMENT_WORDS.search(draft.description):
            signed += 1
        else:
            return False
    return bare >= 2 and signed >= 1


def _card_value(draft: _Draft) -> Decimal | None:
    """A draft read as a bank's (bare = money in) turned into a card's (bare = a charge)."""
    if draft.amount is None:
        return None
    if not draft.signed:
        return -abs(draft.amount)
    return abs(draft.amount)  # minus, parentheses or CR on a card: a payment or refund


def _is_balance_line(description: str) -> bool:
    """A "Previous balance" / "Closing balance" line: a balance, never a transaction."""
    return bool(_OPENING.search(description) or _CLOSING.search(description))


def _card_balance(value: Decimal, token: str) -> Decimal:
    """A card's balance as the library signs it: money owed is negative, a credit balance positive."""
    if _CREDIT_MARK.search(token):
        return abs(value)
    return -abs(value)


def _card_amount(value: Decimal, token: str) -> Decimal:
    """Card statements print charges bare and mark credits; money out must be negative."""
    if _DEBIT_MARK.search(token):
        return -abs(value)
    if _CREDIT_MARK.search(token):
        return abs(value)  # a payment or refund: money in
    return -abs(value)


def _finish_rows(
    drafts: list[_Draft],
    references: list[dt.date],
    currency: str | None,
    opening: Decimal | None,
    card: bool,
    warnings: list[str],
) -> tuple[list[StatementRow], bool]:
    """Resolve years, infer signs from the running balance, build rows.

    :returns: the rows, and whether a running balance confirmed an amount.
    """
    balance_checked = _signs_from_balance(drafts, opening, card, warnings)
    if not references:
        full = [resolve_year(d.parts, ()) for d in drafts if d.parts[0] is not None]
        references = [d for d in full if d]
    rows: list[StatementRow] = []
    undated = 0
    # money.quantize per amount looks the currency up each time; the step is the same for all.
    step = quantum(currency) if currency and drafts else None
    # Rows share dates, and a date depends only on its parts (the references are fixed).
    dates: dict[tuple[int | None, int, int], dt.date | None] = {}

    def resolve(parts: tuple[int | None, int, int]) -> dt.date | None:
        date = dates.get(parts, _UNSEEN)
        if date is _UNSEEN:
            date = dates[parts] = resolve_year(parts, references)
        return date

    swap = _posting_date_first(drafts, resolve)
    for draft in drafts:
        date = resolve(draft.parts)
        posted = resolve(draft.second_parts) if draft.second_parts else None
        if swap and posted is not None:
            date, posted = posted, date
        amount = draft.amount
        if date is None or amount is None:
            undated += 1
            continue
        balance = draft.balance
        if step is not None:
            amount = amount.quantize(step, rounding=ROUND_HALF_EVEN)
            if balance is not None:
                balance = balance.quantize(step, rounding=ROUND_HALF_EVEN)
        rows.append(
            StatementRow(
                date=date,
                description=draft.description,
                amount=amount or Decimal(0),
                currency=currency,
                balance=balance,
                posted_date=posted,
            )
        )
    if undated:
        warnings.append(
            f"{undated} row(s) were skipped: their date has no year and the statement shows no "
            "statement date or period to take it from."
        )
    return rows, balance_checked


def _signs_from_balance(drafts: list[_Draft], opening: Decimal | None, card: bool, warnings: list[str]) -> bool:
    """Sign unsigned amounts by the running balance's movement; warn when nothing gives a sign.

    :returns: whether a balance confirmed an amount.
    """
    balance_checked = False
    previous_balance = opening
    unsigned = 0
    any_signed = False
    for draft in drafts:
        balance = draft.balance
        if balance is not None:
            if draft.amount is not None and previous_balance is not None:
                delta = balance - previous_balance
                if not draft.signed and abs(delta) == abs(draft.amount):
                    draft.amount = delta
                    draft.signed = True
                balance_checked = balance_checked or delta == draft.amount
            previous_balance = balance
        # Counted once the draft's sign is final (later drafts never change it).
        if draft.signed:
            any_signed = True
        else:
            unsigned += 1
    if unsigned and not card and not any_signed:
        warnings.append(
            f"{unsigned} amount(s) carry no sign and there is no running balance to tell money in "
            "from money out; they were kept as printed (positive)."
        )
    return balance_checked


def _posting_date_first(drafts: Sequence[_Draft], resolve: Any) -> bool:
    """Whether rows with two dates print the posting date first.

    A transaction is posted on or after the day it happened, so the column
    whose dates come earlier is the transaction date; decided once, by every
    row whose two dates differ.
    """
    first_earlier = second_earlier = 0
    for draft in drafts:
        if draft.second_parts is None:
            continue
        first, second = resolve(draft.parts), resolve(draft.second_parts)
        if first is None or second is None or first == second:
            continue
        if first < second:
            first_earlier += 1
        else:
            second_earlier += 1
    return second_earlier > first_earlier


def _q(value: Decimal | None, currency: str | None) -> Decimal | None:
    if value is None:
        return None
    return quantize(value, currency) if currency else value


def _reference_dates(
    text: str, day_first: bool, folded: str | None = None
) -> tuple[dt.date | None, dt.date | None, list[dt.date]]:
    """Statement period and the dates a missing year is resolved against.

    ``folded`` is :func:`_fold` of ``text`` (``None``: not ASCII; the ``re.I`` scan is used).
    """

    def full(s: str) -> dt.date | None:
        parts = parse_date_parts(_SPACES.sub(" ", s), day_first=day_first)
        return resolve_year(parts, ()) if parts and parts[0] is not None else None

    start = end = None
    if m := _PERIOD.search(text):
        a, b = full(m.group("a")), full(m.group("b"))
        if a and b and a <= b and (b - a).days <= 400:
            start, end = a, b
    labelled = [d for found in _labelled_dates(text, folded) if (d := full(found))]
    refs = [d for d in (start, end) if d] + labelled
    if not refs:
        refs = [d for m in _ANY_FULL_DATE.finditer(text) if (d := full(m.group()))]
    return start, end, refs


def _labelled_dates(text: str, folded: str | None) -> Iterator[str]:
    """The date texts ``_LABELLED_DATES.finditer(text)`` finds, in order.

    With ``folded`` (:func:`_fold` of ``text``) the case-sensitive twin scans it; a
    match counts only where ``\\b`` would hold before the label (at the start, or
    after a non-word character), else the search goes on one character later, as
    ``finditer`` would.
    """
    if folded is None:
        for found in _LABELLED_DATES.finditer(text):
            yield found.group("date")
        return
    pos = 0
    while m := _LABELLED_DATES_FOLDED.search(folded, pos):
        start = m.start()
        if start and _WORD_CHAR.match(folded, start - 1):
            pos = start + 1
            continue
        yield text[m.start("date") : m.end("date")]
        pos = m.end()


def _find_currency(text: str) -> str | None:
    for pattern, code in _CURRENCY_HINTS:
        for m in pattern.finditer(text):
            candidate = code or m.group("c").upper()
            if is_known_currency(candidate):
                return candidate
    return None


def _find_account(text: str) -> str:
    m = _ACCOUNT.search(text)
    if not m:
        return ""
    return mask_account(m.group("n") or m.group("card"))
