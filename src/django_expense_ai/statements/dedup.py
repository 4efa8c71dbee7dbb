"""Which imported rows are already in the ledger.

Matching is count-aware (a multiset): each existing transaction absorbs at
most one incoming row, so two identical bus fares on one day stay two
transactions, and a third identical fare in a later, overlapping statement
is created. For each row, in this order:

1. ``bank_id``: the bank's own id (OFX FITID), *confirmed* by the same date and
   amount; banks reuse ids for different transactions, so an id alone is not enough;
2. ``fingerprint``: the same account, date, amount and normalised description
   (the sha256 stored in ``Transaction.import_fingerprint``, or recomputed from
   the existing row, so a bank that re-issues a transaction under a new id in a
   later download is still recognised);
3. ``fuzzy``: the same account and amount, a date within
   ``DEDUP_DATE_WINDOW_DAYS`` and a description similarity of at least
   ``DEDUP_DESCRIPTION_SIMILARITY`` (``difflib`` ratio); the best-scoring, then
   nearest, candidate wins.

Inside one upload, when the format promises unique ids (OFX FITIDs:
``unique_bank_ids=True``), a row repeating another row's bank id, date and
amount (a file holding the same statement twice) is a duplicate too. Otherwise
rows of one upload are never merged with each other: they may be real repeats,
and a CSV "reference" column (an invoice number) is not unique per row.

:func:`match_rows` is pure (this module imports no ORM);
:func:`.ledger_candidates.find_duplicates` fetches the candidates in one query
(user + account + date range + amounts, the ``(user, account, date)`` index),
whatever the number of rows, and calls it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from difflib import SequenceMatcher
from typing import Any

from ..money import AMOUNT_STEP, money_str
from .types import LedgerRow, StatementRow

__all__ = [
    "DESCRIPTION_LENGTH",
    "DedupResult",
    "Match",
    "description_similarity",
    "fingerprint",
    "match_rows",
    "normalise_description",
]

#: ``Transaction.description`` holds this many characters; fingerprints use what is stored.
DESCRIPTION_LENGTH = 500
#: Above this many distinct amounts the candidate query filters by date only
#: (an IN list that long costs more than it saves, and SQLite caps parameters).
MAX_AMOUNTS_IN_QUERY = 2000
_CENTS = Decimal("0.01")
_NON_WORDS = re.compile(r"[\W_]+")


def normalise_description(text: str) -> str:
    """Case-folded words of ``text`` (NFKC, punctuation and runs of spaces collapsed).

    :returns: the normalised text; ``""`` for empty input.
    """
    text = (text or "")[:DESCRIPTION_LENGTH]
    # ASCII is already NFKC, and its casefold is its lower case (the common case, cheaper).
    if text.isascii():
        folded = text.lower()
        # Words of letters and digits split by single spaces (most descriptions) are already
        # normalised: the split and join below would give them back unchanged.
        if folded.replace(" ", "").isalnum() and "  " not in folded and folded[0] != " " != folded[-1]:
            return folded
    else:
        folded = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(_NON_WORDS.split(folded)).strip()


def _amount_key(amount: Decimal) -> str:
    # 12.5 and 12.5000 are the same money: compare at the column's scale.
    if type(amount) is Decimal:
        if amount.same_quantum(_CENTS):
            return f"{amount}00"  # two decimals print plainly: the same text, without the quantize
        if amount.is_finite():
            return format(amount.quantize(AMOUNT_STEP), "f")  # what money_str gives, without its checks
    return money_str(Decimal(amount).quantize(AMOUNT_STEP))


def fingerprint(account_id: Any, date: dt.date, amount: Decimal, description: str) -> str:
    """sha256 hex of account, date, amount and normalised description.

    :returns: 64 hex characters (``Transaction.import_fingerprint``).
    """
    key = "\x1f".join(
        (str(account_id or ""), date.isoformat(), _amount_key(amount), normalise_description(description))
    )
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _fingerprints(account_id: Any, rows: Sequence[StatementRow]) -> tuple[str, ...]:
    """:func:`fingerprint` of every row, with what rows share (account, dates) worked out once."""
    account = str(account_id or "")
    days: dict[dt.date, str] = {}
    sha256 = hashlib.sha256
    prints = []
    for row in rows:
        date = row.date
        day = days.get(date)
        if day is None:
            day = days[date] = date.isoformat()
        amount = row.amount
        key = "\x1f".join((account, day, _amount_key(amount), normalise_description(row.description)))
        prints.append(sha256(key.encode("utf-8")).hexdigest())
    return tuple(prints)


def description_similarity(a: str, b: str) -> float:
    """How alike two descriptions are, 0..1 (``difflib`` ratio of the normalised texts)."""
    na, nb = normalise_description(a), normalise_description(b)
    if na == nb:
        return 1.0
    if not na or not nb:
        return 0.0
    return SequenceMatcher(None, na, nb, autojunk=False).ratio()


@dataclass(frozen=True)
class Match:
    """Row ``row`` duplicates transaction ``transaction_id`` (or, for
    ``same_upload``, the earlier row ``duplicate_of_row``)."""

    row: int
    reason: str  # "bank_id", "fingerprint", "fuzzy" or "same_upload"
    score: float  # 0..100
    transaction_id: Any = None
    duplicate_of_row: int | None = None


@dataclass(frozen=True)
class DedupResult:
    """Rows to create (``new_rows``: indexes into the input) and the matches skipped."""

    new_rows: tuple[int, ...]
    matches: tuple[Match, ...]
    fingerprints: tuple[str, ...]  # one per input row
    candidates: int = 0  # existing transactions considered

    def details(self, rows: Sequence[StatementRow]) -> dict[str, Any]:
        """JSON-safe log details: counts and every skipped row with what it matched."""
        by_reason: dict[str, int] = defaultdict(int)
        for m in self.matches:
            by_reason[m.reason] += 1
        return {
            "rows": len(rows),
            "new": len(self.new_rows),
            "duplicates": len(self.matches),
            "by_reason": dict(by_reason),
            "candidates_considered": self.candidates,
            "skipped": [
                {
                    "row": m.row,
                    "date": rows[m.row].date.isoformat(),
                    "amount": money_str(rows[m.row].amount),
                    "description": rows[m.row].description[:100],
                    "matched_transaction_id": m.transaction_id,
                    "duplicate_of_row": m.duplicate_of_row,
                    "reason": m.reason,
                    "score": round(m.score, 2),
                }
                for m in self.matches
            ],
        }


def match_rows(
    rows: Sequence[StatementRow],
    existing: Sequence[LedgerRow],
    *,
    account_id: Any,
    window_days: int,
    min_similarity: float,
    unique_bank_ids: bool = False,
) -> DedupResult:
    """Match incoming ``rows`` against ``existing`` transactions of the same account.

    Pure. See the module docstring for the rules and their order.

    :param unique_bank_ids: the format guarantees one id per transaction (OFX),
        so repeated ids inside ``rows`` are duplicates.

    :returns: a :class:`DedupResult`.
    :raises: nothing.
    """
    prints = _fingerprints(account_id, rows)
    # 0. The same bank transaction twice inside this upload (only where ids are unique).
    matched = _repeats_in_upload(rows) if unique_bank_ids else {}
    if existing:  # a new account has nothing to match against, only the upload's own repeats
        ledger = _LedgerIndex.build(existing, account_id)
        _match_bank_ids(rows, ledger, matched)
        _match_fingerprints(prints, ledger, matched)
        _match_fuzzy(rows, ledger, matched, window=dt.timedelta(days=window_days), min_similarity=min_similarity)
    return DedupResult(
        new_rows=tuple(i for i in range(len(rows)) if i not in matched),
        matches=tuple(matched[i] for i in sorted(matched)),
        fingerprints=prints,
        candidates=len(existing),
    )


def _repeats_in_upload(rows: Sequence[StatementRow]) -> dict[int, Match]:
    """Rows repeating an earlier row's bank id, date and amount, by row index."""
    matched: dict[int, Match] = {}
    seen_ids: dict[tuple[str, dt.date, str], int] = {}
    for i, row in enumerate(rows):
        if not row.bank_id:
            continue
        key = (row.bank_id, row.date, _amount_key(row.amount))
        if key in seen_ids:
            matched[i] = Match(row=i, reason="same_upload", score=100.0, duplicate_of_row=seen_ids[key])
        else:
            seen_ids[key] = i
    return matched


@dataclass
class _LedgerIndex:
    """The existing transactions, indexed for each rule; each absorbs at most one row."""

    by_bank: dict[tuple[str, dt.date, str], list[LedgerRow]]
    by_print: dict[str, list[LedgerRow]]
    by_amount: dict[str, list[LedgerRow]]
    used: set[Any]  # ids of the transactions already matched

    @classmethod
    def build(cls, existing: Sequence[LedgerRow], account_id: Any) -> _LedgerIndex:
        """Index ``existing`` by bank id, by fingerprint (stored and recomputed) and by amount."""
        by_bank: dict[tuple[str, dt.date, str], list[LedgerRow]] = defaultdict(list)
        by_print: dict[str, list[LedgerRow]] = defaultdict(list)
        by_amount: dict[str, list[LedgerRow]] = defaultdict(list)
        for tx in existing:
            amount = _amount_key(tx.amount)
            if tx.bank_id:
                by_bank[(tx.bank_id, tx.date, amount)].append(tx)
            stored = tx.import_fingerprint
            recomputed = fingerprint(account_id, tx.date, tx.amount, tx.description)
            by_print[recomputed].append(tx)
            if stored and stored != recomputed:  # the description was edited after import
                by_print[stored].append(tx)
            by_amount[amount].append(tx)
        return cls(by_bank, by_print, by_amount, set())

    def take(self, candidates: Sequence[LedgerRow]) -> LedgerRow | None:
        """The first of ``candidates`` not matched yet, now marked as matched."""
        for tx in candidates:
            if tx.id not in self.used:
                self.used.add(tx.id)
                return tx
        return None


def _match_bank_ids(rows: Sequence[StatementRow], ledger: _LedgerIndex, matched: dict[int, Match]) -> None:
    """1. Bank id, confirmed by date and amount (the key includes both)."""
    for i, row in enumerate(rows):
        if i in matched or not row.bank_id:
            continue
        tx = ledger.take(ledger.by_bank.get((row.bank_id, row.date, _amount_key(row.amount)), []))
        if tx is not None:
            matched[i] = Match(row=i, reason="bank_id", score=100.0, transaction_id=tx.id)


def _match_fingerprints(prints: Sequence[str], ledger: _LedgerIndex, matched: dict[int, Match]) -> None:
    """2. Exact fingerprint, one existing transaction per row."""
    for i, row_print in enumerate(prints):
        if i in matched:
            continue
        tx = ledger.take(ledger.by_print.get(row_print, []))
        if tx is not None:
            matched[i] = Match(row=i, reason="fingerprint", score=100.0, transaction_id=tx.id)


def _match_fuzzy(
    rows: Sequence[StatementRow],
    ledger: _LedgerIndex,
    matched: dict[int, Match],
    *,
    window: dt.timedelta,
    min_similarity: float,
) -> None:
    """3. Fuzzy: same amount, nearby date, similar description; the best score, then the nearest date, wins."""
    for i, row in enumerate(rows):
        if i in matched:
            continue
        best: tuple[float, int, LedgerRow] | None = None
        for tx in ledger.by_amount.get(_amount_key(row.amount), ()):
            if tx.id in ledger.used or abs(tx.date - row.date) > window:
                continue
            score = description_similarity(row.description, tx.description)
            if score < min_similarity:
                continue
            distance = abs((tx.date - row.date).days)
            if best is None or (score, -distance) > (best[0], -best[1]):
                best = (score, distance, tx)
        if best is not None:
            ledger.used.add(best[2].id)
            matched[i] = Match(row=i, reason="fuzzy", score=best[0] * 100, transaction_id=best[2].id)
