"""The data of a statement review: rows with their de-duplication verdicts, as plain JSON.

Pure (no queries): the pipeline writes it when a run stops for review, and
:mod:`.review` reads and changes it. See :doc:`review`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import fields
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import timezone

from ..exceptions import ReviewError
from ..money import money_str
from . import dedup
from .formats import csvfmt
from .formats.profiles import BankProfile
from .types import StatementRow

__all__ = [
    "SURE_DUPLICATES",
    "VERDICTS",
    "full_mapping",
    "initial_review",
    "mapping_of",
    "row_data",
    "row_from_data",
    "rows_with_verdicts",
]

#: A de-duplication match's reason -> the row's verdict.
VERDICTS = {
    "bank_id": "duplicate_bank_id",
    "fingerprint": "duplicate_fingerprint",
    "same_upload": "duplicate_in_file",
    "fuzzy": "possible_duplicate",
}
#: Verdicts that exclude a row unless the user forces it.
SURE_DUPLICATES = frozenset({"duplicate_bank_id", "duplicate_fingerprint", "duplicate_in_file"})


def initial_review(ctx: Any) -> dict[str, Any]:
    """The review data of a run that stopped after de-duplication (called by the pipeline).

    :returns: plain JSON data for ``parsed_json["review"]``.
    """
    assert ctx.dedup is not None
    mapping = None
    if ctx.format == "csv" and ctx.document is not None:
        mapping = mapping_of(ctx.document.text, ctx.document.profile, ctx.parsed)
    return {
        "state": "open",
        "format": ctx.format,
        "parser": ctx.parser_name,
        "parser_type": str(ctx.parser_type),
        "mapping": mapping,
        "rows": rows_with_verdicts(ctx.rows, ctx.dedup),
        "opened_at": timezone.now().isoformat(),
    }


def mapping_of(text: str, profile: BankProfile | None, parsed: Any) -> dict[str, Any] | None:
    """The mapping that read the CSV: the account's profile when it fitted, else the detected one."""
    if profile is not None and parsed is not None and f"Read with the bank profile {profile.name!r}." in (
        parsed.warnings
    ):
        return full_mapping(profile)
    detected = csvfmt.detect_profile(text, name="review")
    return full_mapping(detected) if detected is not None else None


def full_mapping(profile: BankProfile) -> dict[str, Any]:
    """Every field of ``profile`` as plain JSON (what the review shows and :meth:`BankProfile.from_dict` reads).

    :returns: the dict, defaults included.
    """
    return {f.name: list(v) if isinstance(v := getattr(profile, f.name), tuple) else v for f in fields(profile)}


def rows_with_verdicts(rows: tuple[StatementRow, ...], found: dedup.DedupResult) -> list[dict[str, Any]]:
    matches = {m.row: m for m in found.matches}
    out = []
    for index, row in enumerate(rows):
        match = matches.get(index)
        verdict = VERDICTS[match.reason] if match else "new"
        out.append({
            "row": index,
            **row_data(row),
            "verdict": verdict,
            "score": round(match.score, 2) if match else None,
            "transaction_id": match.transaction_id if match else None,
            "duplicate_of_row": match.duplicate_of_row if match else None,
            "include": verdict not in SURE_DUPLICATES,
            "forced": False,
            "category_id": None,
        })
    return out


def row_data(row: StatementRow) -> dict[str, Any]:
    return {
        "date": row.date.isoformat(),
        "posted_date": row.posted_date.isoformat() if row.posted_date else None,
        "description": row.description,
        "merchant": row.merchant,
        "amount": money_str(row.amount),
        "currency": row.currency,
        "balance": money_str(row.balance) if row.balance is not None else None,
        "bank_id": row.bank_id,
    }


def row_from_data(data: Mapping[str, Any]) -> StatementRow:
    try:
        return StatementRow(
            date=dt.date.fromisoformat(data["date"]),
            description=str(data["description"]),
            amount=Decimal(data["amount"]),
            currency=data.get("currency"),
            balance=Decimal(data["balance"]) if data.get("balance") is not None else None,
            bank_id=str(data.get("bank_id") or ""),
            posted_date=dt.date.fromisoformat(data["posted_date"]) if data.get("posted_date") else None,
            merchant=str(data.get("merchant") or ""),
        )
    except (KeyError, TypeError, ValueError, InvalidOperation) as err:
        raise ReviewError("The stored review rows are damaged; reprocess the file.") from err
