"""Review before it lands: a statement's rows wait for the user's choices.

With ``import_statement(..., review=True)`` (the pages and the API follow
``EXPENSE_AI["REVIEW_UPLOADS"]``) the pipeline stops after de-duplication: the
file is ``awaiting_review`` and ``parsed_json["review"]`` holds, as plain JSON,
every validated row with its verdict and whether it is included:

* ``new``: not in the ledger (included);
* ``possible_duplicate``: a fuzzy match, with its ``score`` and the
  ``transaction_id`` it resembles (included: the user's choice, never skipped silently);
* ``duplicate_bank_id`` / ``duplicate_fingerprint`` / ``duplicate_in_file``:
  sure duplicates (excluded unless the user forces them).

For a CSV file the column mapping that read it (a bank profile's dict) is kept
too; :func:`update_review` with another ``mapping`` reads the rows again at
once. :func:`commit_review` runs ``transaction_creation`` and ``completion``,
the last two stages, logged as in any import: one atomic step that locks the
ledger, matches the chosen rows again (another import may have landed) and
creates exactly them. Committing twice creates nothing the second time.
:func:`expire_reviews` fails reviews left open longer than
``REVIEW_EXPIRY_DAYS``; the file's log rows stay.

Service layer: every function takes the acting user; another user's file is
:class:`~django_expense_ai.exceptions.NotYours`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from ..ai import calls as ai
from ..conf import settings
from ..exceptions import (
    BankProfileError,
    InvalidTransition,
    NotYours,
    ReviewError,
    StatementValidationError,
)
from ..models import Category, Transaction, UploadedFile
from ..models.choices import FileStatus, LogStatus, ProcessingStage
from ..models.ownership import usable
from ..models.swappable import get_user_preferences_model
from ..money import money_str, quantize
from ..types import RequestUser, UserLike
from . import ledger_candidates, pipeline, validation
from .account_profiles import save_account_profile
from .formats import csvfmt
from .formats.profiles import BankProfile
from .review_rows import SURE_DUPLICATES, VERDICTS, full_mapping, row_from_data, rows_with_verdicts

__all__ = [
    "BULK_CHOICES",
    "SURE_DUPLICATES",
    "VERDICTS",
    "commit_review",
    "expire_reviews",
    "review_of",
    "update_review",
]

#: ``update_review(bulk=...)`` choices.
BULK_CHOICES = ("all", "all_new", "no_possible_duplicates", "none")


# -- reading -------------------------------------------------------------------


def review_wanted(user: RequestUser | None) -> bool:
    """Whether ``user``'s uploads stop for review when the caller does not say.

    The user's ``UserPreferences.review_uploads`` when set, else the site's
    ``EXPENSE_AI["REVIEW_UPLOADS"]``. Reads only (no preferences row is created).
    """
    chosen = (
        get_user_preferences_model().objects.filter(user=user).values_list("review_uploads", flat=True).first()
        if user is not None and user.is_authenticated
        else None
    )
    return bool(settings.REVIEW_UPLOADS if chosen is None else chosen)


def _own_file(user: UserLike, uploaded_file: Any) -> UploadedFile:
    pk = uploaded_file.pk if isinstance(uploaded_file, UploadedFile) else uploaded_file
    found = UploadedFile.objects.for_user(user).select_related("account", "user").filter(pk=pk).first()
    if found is None:
        raise NotYours("No such statement file.")
    return found


def _review_data(uf: UploadedFile) -> dict[str, Any]:
    review = (uf.parsed_json or {}).get("review") if isinstance(uf.parsed_json, dict) else None
    if not isinstance(review, dict):
        raise ReviewError(
            f"Statement file #{uf.pk} was not imported with a review; its transactions were created directly."
        )
    return review


def review_of(user: UserLike, uploaded_file: Any) -> dict[str, Any]:
    """The review of one of ``user``'s files: rows, verdicts, choices, mapping.

    Each row that resembles an existing transaction carries it as
    ``resembles`` (id, date, amount, description), read from the user's own ledger.

    :returns: ``{"file", "status", "state", "format", "mapping", "account", "rows", "counts"}`` (JSON-safe).
    :raises NotYours: the file is not ``user``'s.
    :raises ReviewError: the file was imported without a review.
    """
    uf = _own_file(user, uploaded_file)
    review = _review_data(uf)
    rows = [dict(r) for r in review.get("rows", [])]
    ids = {r["transaction_id"] for r in rows if r.get("transaction_id") is not None}
    known: dict[int | None, dict[str, Any]] = {
        pk: {"id": pk, "date": date.isoformat(), "amount": money_str(quantize(amount, currency)),
             "currency": currency, "description": description}
        for pk, date, amount, currency, description in Transaction.objects.filter(
            user=uf.user_id, pk__in=ids
        ).values_list("pk", "date", "amount", "currency", "description")
    }
    for row in rows:
        row["resembles"] = known.get(row.get("transaction_id"))
    counts: dict[str, int] = {"rows": len(rows), "included": sum(1 for r in rows if r.get("include"))}
    for row in rows:
        counts[row["verdict"]] = counts.get(row["verdict"], 0) + 1
    return {
        "file": uf.pk,
        "status": uf.status,
        "state": review.get("state", "open"),
        "format": review.get("format", ""),
        "mapping": review.get("mapping"),
        "account": uf.account_id,
        "rows": rows,
        "counts": counts,
    }


# -- choosing ------------------------------------------------------------------


def update_review(
    user: UserLike,
    uploaded_file: Any,
    *,
    include: Iterable[int] = (),
    exclude: Iterable[int] = (),
    force: Iterable[int] = (),
    bulk: str | None = None,
    categories: Mapping[int, Any] | None = None,
    mapping: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Change the choices of an open review; returns it as :func:`review_of` does.

    Applied in this order: ``mapping`` (a CSV's column mapping as a bank
    profile dict: the rows are read, validated and matched again at once, and
    every choice starts over), ``bulk`` (one of :data:`BULK_CHOICES`),
    ``include``, ``exclude``, ``force`` (include sure duplicates, which
    ``include`` refuses), ``categories`` (row -> category id, ``None`` clears).

    :raises NotYours: the file is not ``user``'s, or a category is not one ``user`` may use.
    :raises InvalidTransition: the file is not ``awaiting_review``.
    :raises ReviewError: an unknown row or bulk choice, a sure duplicate in ``include``, a non-CSV mapping.
    :raises BankProfileError: the mapping is malformed or does not fit the file's header.
    :raises StatementValidationError: rows read with the new mapping fail validation (nothing changes).
    """
    with transaction.atomic():
        uf = _own_file(user, uploaded_file)
        list(UploadedFile.objects.select_for_update().filter(pk=uf.pk).values_list("pk"))
        uf.refresh_from_db(fields=["status", "parsed_json"])
        _check_open(uf)
        review = _review_data(uf)
        if mapping is not None:
            review["mapping"], review["rows"] = _reparse(uf, review, mapping)
        rows = review["rows"]

        def row_at(index: Any) -> dict[str, Any]:
            if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(rows):
                raise ReviewError(f"There is no row {index!r} in this review (rows 0 to {len(rows) - 1}).")
            return rows[index]

        if bulk is not None:
            if bulk not in BULK_CHOICES:
                raise ReviewError(f"Unknown bulk choice {bulk!r}; use one of {', '.join(BULK_CHOICES)}.")
            for row in rows:
                if bulk == "all":
                    row["include"] = row["verdict"] not in SURE_DUPLICATES or row["forced"]
                elif bulk == "all_new":
                    row["include"], row["forced"] = row["verdict"] == "new", False
                elif bulk == "no_possible_duplicates":
                    if row["verdict"] == "possible_duplicate":
                        row["include"] = False
                else:
                    row["include"], row["forced"] = False, False
        for index in include:
            row = row_at(index)
            if row["verdict"] in SURE_DUPLICATES and not row["forced"]:
                raise ReviewError(
                    f"Row {index} is already in the ledger ({row['verdict'].replace('_', ' ')}); "
                    "force it to import it anyway."
                )
            row["include"] = True
        for index in exclude:
            row = row_at(index)
            row["include"], row["forced"] = False, False
        for index in force:
            row = row_at(index)
            row["include"], row["forced"] = True, True
        if categories:
            allowed = set(
                usable(user, Category).filter(pk__in=[c for c in categories.values() if c is not None])
                .values_list("pk", flat=True)
            )
            for index, category in categories.items():
                row = row_at(index)
                if category is not None and category not in allowed:
                    raise NotYours(f"No such category: {category!r}.")
                row["category_id"] = category
        parsed = dict(uf.parsed_json or {})
        parsed["review"] = review
        pipeline.save_file_fields(uf, parsed_json=parsed)
    return review_of(user, uf.pk)


def _check_open(uf: UploadedFile) -> None:
    if uf.status != FileStatus.AWAITING_REVIEW:
        raise InvalidTransition(
            f"Statement file #{uf.pk} is {uf.status!r}, not awaiting review: its choices can no longer change."
        )


def _reparse(
    uf: UploadedFile, review: dict[str, Any], mapping: Mapping[str, Any]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Read the CSV again with ``mapping``; its rows validated and matched, choices at their defaults."""
    if review.get("format") != "csv":
        raise ReviewError("Only a CSV statement has a column mapping to change.")
    data = {"name": "review", **dict(mapping)}
    profile = BankProfile.from_dict(data)
    parsed = csvfmt.parse_csv_text(uf.raw_text_extracted, profile=profile)
    if f"Read with the bank profile {profile.name!r}." not in parsed.warnings:
        raise BankProfileError(
            "This mapping does not fit the file's header: every column it names must be in the file. "
            "Check the column names (as the header row spells them) and the preamble lines."
        )
    if not parsed.rows:
        raise ReviewError("This mapping reads no rows from the file; check the date and amount columns.")
    report = validation.validate_rows(
        parsed.rows,
        currency=parsed.currency,
        fallback_currency=pipeline.fallback_currency(uf.user, uf.account),
        today=timezone.localdate(),
        confidence=parsed.confidence,
        opening_balance=parsed.opening_balance,
        closing_balance=parsed.closing_balance,
    )
    if not report.ok:
        first = report.problems[0]
        raise StatementValidationError(
            f"With this mapping {len(report.problems)} of {len(parsed.rows)} rows fail validation; the first "
            f"is row {first.row + 1} ({first.field}): {first.message}. The review is unchanged."
        )
    found = ledger_candidates.find_duplicates(uf.user, uf.account, report.rows)
    return full_mapping(profile), rows_with_verdicts(report.rows, found)


# -- committing ----------------------------------------------------------------


def commit_review(user: UserLike, uploaded_file: Any, *, keep_mapping_for_account: bool = False) -> UploadedFile:
    """Create the chosen rows' transactions: the ``transaction_creation`` and ``completion`` stages.

    Under the ledger lock the rows are matched again; a chosen row that became
    a sure duplicate meanwhile is left out (unless forced), and the log says so.
    A second commit of the same file creates nothing and raises nothing.

    :param keep_mapping_for_account: save the review's CSV mapping as the file's
        account's bank profile (used by the next import into that account).
    :returns: the file, ``completed`` (or ``failed``), with ``created_transactions``
        (empty on a repeated commit), ``skipped_duplicates`` and ``rows_found``.
    :raises NotYours: the file is not ``user``'s.
    :raises ReviewError: the file was imported without a review.
    :raises InvalidTransition: the file is not awaiting review (and was not committed before).
    """
    uf = _own_file(user, uploaded_file)
    review = _review_data(uf)
    if uf.status != FileStatus.AWAITING_REVIEW:
        if uf.status in (FileStatus.PROCESSING, FileStatus.COMPLETED) and review.get("state") != "expired":
            return _nothing_created(uf, review)  # committed already (or being committed right now)
        _check_open(uf)
    rows = tuple(row_from_data(r) for r in review["rows"])
    selection = {
        "include": {i for i, r in enumerate(review["rows"]) if r.get("include")},
        "force": {i for i, r in enumerate(review["rows"]) if r.get("forced")},
        "categories": {
            i: r["category_id"] for i, r in enumerate(review["rows"]) if r.get("category_id") is not None
        },
    }
    try:
        pipeline.transition(uf, FileStatus.PROCESSING, error_stage="", error_message="")
    except InvalidTransition:
        uf.refresh_from_db()
        if uf.status in (FileStatus.PROCESSING, FileStatus.COMPLETED):
            return _nothing_created(uf, review)  # another request committed it first
        raise
    ctx = pipeline.ImportContext(
        uploaded_file=uf,
        provider_name=ai.active_provider_name(uf.user),
        format=review.get("format", ""),
        rows=rows,
        found=len(rows),
        parser_name=review.get("parser", ""),
        parser_type=review.get("parser_type", ""),
        selection=selection,
    )
    if pipeline.run_stages(ctx, start=ProcessingStage.TRANSACTION_CREATION):
        review.update(state="committed", committed_at=timezone.now().isoformat(), created=len(ctx.created))
        parsed = dict(uf.parsed_json or {})
        parsed["review"] = review
        pipeline.save_file_fields(uf, parsed_json=parsed)
        if keep_mapping_for_account and review.get("mapping") and uf.account_id is not None:
            save_account_profile(user, uf.account_id, {**review["mapping"], "name": f"account-{uf.account_id}"})
    return pipeline.finish(ctx)


def _nothing_created(uf: UploadedFile, review: dict[str, Any]) -> UploadedFile:
    uf.created_transactions, uf.skipped_duplicates = [], []
    uf.rows_found = len(review.get("rows", []))
    return uf


# -- expiry --------------------------------------------------------------------


def expire_reviews(days: int | None = None) -> int:
    """Fail the reviews nobody committed for ``days`` (default ``REVIEW_EXPIRY_DAYS``).

    The file becomes ``failed`` (``error_stage="review"``), its last two stages
    are logged (``transaction_creation`` skipped, ``completion`` failed); no log
    row is removed and nothing is created. ``reprocess`` can read it again.

    :returns: how many reviews expired.
    """
    days = int(settings.REVIEW_EXPIRY_DAYS if days is None else days)
    cutoff = timezone.now() - dt.timedelta(days=days)
    message = (
        f"The review was not committed within {days} days and expired; nothing was imported. "
        "Reprocess the file or upload it again."
    )
    expired = 0
    for uf in UploadedFile.objects.filter(status=FileStatus.AWAITING_REVIEW, updated_at__lt=cutoff):
        parsed = dict(uf.parsed_json or {})
        if isinstance(parsed.get("review"), dict):
            parsed["review"] = {**parsed["review"], "state": "expired"}
        try:
            pipeline.transition(uf, FileStatus.FAILED, error_stage="review", error_message=message,
                                processed_at=timezone.now(), parsed_json=parsed)
        except InvalidTransition:
            continue  # committed meanwhile
        pipeline.log_stage(uf, ProcessingStage.TRANSACTION_CREATION,
                           pipeline.StageResult(LogStatus.SKIPPED, {"reason": message}))
        pipeline.log_stage(uf, ProcessingStage.COMPLETION,
                           pipeline.StageResult(LogStatus.FAILED, {"error_stage": "review", "error_message": message}))
        expired += 1
    return expired
