"""Plain data the statement readers produce: frozen dataclasses, no ORM.

:class:`StatementRow` is the one row type: the readers produce it, the
statement comparison (``similarity``) pairs it, and the de-duplication
(``dedup``) matches it against :class:`LedgerRow`, the same row with the id and
fingerprint of a transaction already in the ledger.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ..limits import ReadLimits


@dataclass(frozen=True)
class StatementRow:
    """One transaction as the statement shows it.

    ``amount`` is signed: negative is money out. ``bank_id`` is the bank's own
    id (OFX FITID) when the format has one, else ``""``. ``date`` is the day
    the transaction happened; ``posted_date`` the day the bank booked it, when
    the statement prints both (card statements), else ``None``. ``merchant``
    is the counterparty as a column of its own names it (CSV), else ``""``.
    """

    date: dt.date
    description: str
    amount: Decimal
    currency: str | None = None
    balance: Decimal | None = None
    bank_id: str = ""
    posted_date: dt.date | None = None
    merchant: str = ""


@dataclass(frozen=True)
class LedgerRow(StatementRow):
    """A transaction already in the ledger, as the pure matchers see it.

    A :class:`StatementRow` plus what the ledger adds: the transaction's ``id``
    and the ``import_fingerprint`` stored when it was imported (``""`` for one
    entered by hand). Both are keyword-only: ``LedgerRow(id=7, date=...,
    description=..., amount=...)``.
    """

    id: Any = field(kw_only=True)
    import_fingerprint: str = field(default="", kw_only=True)


@dataclass(frozen=True)
class StatementDocument:
    """What a parser sees: the unlocked bytes and their text."""

    data: bytes
    filename: str
    format: str  # "pdf", "csv" or "ofx"
    text: str
    pages: tuple[str, ...] = ()
    encrypted: bool = False
    password_needed: bool = False  # True only when a non-empty password opened it
    encoding: str = ""  # how text formats were decoded ("utf-8", "cp1252" ...)
    # A BankProfile saved for the file's account: how to read its CSV without guessing.
    profile: Any = None
    # The caps the parser applies (rows, CSV columns and line length); ``None`` until
    # :func:`~.reader.parse_document` fills in the site's.
    limits: ReadLimits | None = None

    def __repr__(self) -> str:  # the bytes and text are long and may be private
        return (
            f"StatementDocument(filename={self.filename!r}, format={self.format!r}, "
            f"bytes={len(self.data)}, pages={len(self.pages)}, encrypted={self.encrypted})"
        )


@dataclass(frozen=True)
class ParsedStatement:
    """The result of reading a statement (``read_statement`` returns this)."""

    format: str
    parser: str
    rows: tuple[StatementRow, ...]
    raw_text: str = field(repr=False)  # the whole statement: too long and too private for logs
    currency: str | None = None
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    opening_balance: Decimal | None = None
    closing_balance: Decimal | None = None
    account_hint: str = ""  # masked account number, e.g. "****1234"
    confidence: float = 1.0
    encrypted: bool = False
    password_needed: bool = False  # True only when a non-empty password opened it
    warnings: tuple[str, ...] = field(default_factory=tuple)

    @property
    def transactions(self) -> tuple[StatementRow, ...]:
        """Alias of ``rows``."""
        return self.rows
