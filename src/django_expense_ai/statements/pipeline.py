"""The statement import pipeline: a tuple of small stages over one context object.

::

    upload -> password_decrypt -> text_extraction -> parse_attempt -> ai_parse
           -> validation -> deduplication -> transaction_creation -> completion

Every stage writes exactly one :class:`StatementProcessingLog` row (``success``,
``failed`` or ``skipped`` when it does not apply) in a short transaction of its
own, then the ``statement_stage_completed`` hook is called. When a stage fails,
the stages after it are logged ``skipped`` and ``completion`` is logged
``failed``; the file says where and why (``error_stage``, ``error_message``).

With ``review=True`` a run stops after ``deduplication``: the file waits in
``awaiting_review`` with its rows and their verdicts, and the last two stages
run when the user commits the rows they chose (:mod:`.review`).

Safety rules this module keeps:

* the file row and each log row are committed on their own, so a later
  failure never loses the record of what happened;
* the transactions of a successful import are created together in one atomic
  insert (``bulk_create``; ``COPY`` for large batches on PostgreSQL, see
  :mod:`.bulk`): a failure leaves none behind;
* no database transaction is open while an AI provider is called;
* a password is never stored, logged or put in a message: the log names the
  stored password that worked by id and hint only.

Call :func:`import_statement` / :func:`reprocess` outside ``transaction.atomic``
(in autocommit mode); inside one, the log rows share the caller's fate.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Count, Max, Sum
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

try:
    from django.tasks import task
except ImportError:  # Django 5.2: the django-tasks backport, if installed
    try:
        from django_tasks import task  # type: ignore[no-redef]
    except ImportError:
        task = None  # type: ignore[assignment]

from .. import limits, plugins
from ..ai import calls as ai
from ..categorize.services import categorize_new_transactions
from ..categorize.services import prepare as prepare_categories
from ..conf import settings
from ..exceptions import (
    ConfigurationError,
    CorruptStatement,
    DecryptionError,
    ExpenseAIError,
    InvalidTransition,
    NotYours,
    PasswordRequired,
    ProviderError,
    ProviderUnavailable,
    StatementError,
    StatementTooLarge,
    StatementValidationError,
    StorageQuotaExceeded,
    UnsupportedFormat,
    WrongArgumentType,
    WrongPassword,
)
from ..ledger import writer as ledger
from ..ledger.writer import lock_user
from ..limits import read_limits
from ..models import (
    Account,
    StatementProcessingLog,
    Transaction,
    UploadedFile,
    bulk,
)
from ..models.choices import (
    FileStatus,
    LogStatus,
    ParserType,
    ProcessingStage,
    TransactionSource,
    is_excluded,
)
from ..models.storage import stored_suffix
from ..money import jsonable, money_str
from ..types import UserLike
from . import dedup, ledger_candidates, validation
from .account_profiles import profile_for_import
from .formats import pdf
from .formats.detect import detect_format
from .passwords import passwords_to_try, record_password_success
from .reader import PAGE_BREAK, parse_document, pdf_document, text_document
from .review_rows import initial_review
from .types import ParsedStatement, StatementDocument, StatementRow

__all__ = [
    "ALLOWED_TRANSITIONS",
    "STAGES",
    "ImportContext",
    "StageResult",
    "fallback_currency",
    "finish",
    "import_statement",
    "log_stage",
    "process_queued",
    "reprocess",
    "run_stages",
    "save_file_fields",
    "storage_used",
    "transition",
]

logger = logging.getLogger(__name__)

#: Which status a file may move to from each status (see :func:`transition`).
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    FileStatus.PENDING: frozenset({FileStatus.PROCESSING, FileStatus.QUEUED}),
    FileStatus.QUEUED: frozenset({FileStatus.PROCESSING}),
    # processing -> queued: the enqueue mode hands a file to the worker after
    # the stages that needed the caller's password (which never enters the queue).
    FileStatus.PROCESSING: frozenset(
        {FileStatus.COMPLETED, FileStatus.FAILED, FileStatus.QUEUED, FileStatus.AWAITING_REVIEW}
    ),
    # awaiting_review -> processing: the user commits; -> failed: the review expired (see review.py).
    FileStatus.AWAITING_REVIEW: frozenset({FileStatus.PROCESSING, FileStatus.FAILED}),
    FileStatus.FAILED: frozenset({FileStatus.PROCESSING}),
    FileStatus.COMPLETED: frozenset({FileStatus.PROCESSING}),
}

_CONTENT_TYPES = {"pdf": "application/pdf", "csv": "text/csv", "ofx": "application/x-ofx"}
_FORMAT_OF_TYPE = {v: k for k, v in _CONTENT_TYPES.items()}


def transition(uploaded_file: UploadedFile, new_status: str, **fields: Any) -> UploadedFile:
    """Move ``uploaded_file`` to ``new_status``, the only way a file's status changes.

    The UPDATE is conditional on the status the instance holds, so two workers
    can never both start the same file. ``fields`` are saved with it.

    :returns: the same instance, updated.
    :raises InvalidTransition: the move is not in :data:`ALLOWED_TRANSITIONS`,
        or the row's status changed underneath (someone else moved it).
    """
    old = uploaded_file.status
    InvalidTransition.check(ALLOWED_TRANSITIONS, old, new_status, subject="A statement file")
    now = timezone.now()
    updated = UploadedFile.objects.filter(pk=uploaded_file.pk, status=old).update(
        status=new_status, updated_at=now, **fields
    )
    if not updated:
        raise InvalidTransition(
            f"Statement file #{uploaded_file.pk} is no longer {old!r}; it was changed by another process."
        )
    uploaded_file.status = new_status
    uploaded_file.updated_at = now
    for name, value in fields.items():
        setattr(uploaded_file, name, value)
    return uploaded_file


# -- context -------------------------------------------------------------------


@dataclass(eq=False)
class ImportContext:
    """Everything the stages share for one run over one file."""

    uploaded_file: UploadedFile
    password: str | None = field(default=None, repr=False)  # the caller's; never stored
    data: bytes | None = field(default=None, repr=False)
    provider_name: str = ai.SYSTEM
    format: str = ""
    unlocked: Any = None  # pdf.UnlockedPdf
    document: StatementDocument | None = None
    parsed: ParsedStatement | None = None  # the system parsers' result
    rows: tuple[StatementRow, ...] = ()
    confidence: float = 0.0
    parser_name: str = ""
    parser_type: str = ""
    ai_provider: str = ""
    found: int = 0
    dedup: dedup.DedupResult | None = None
    ledger_mark: tuple[int, Any] | None = None  # what de-duplication saw (see _ledger_mark)
    created: list[Transaction] = field(default_factory=list)
    stop_reason: str = ""  # set when the remaining stages do not apply (a duplicate file)
    review: bool = False  # stop after de-duplication in awaiting_review (see review.py)
    # The user's review choices at commit: {"include": set, "force": set, "categories": {row: id}}.
    selection: dict[str, Any] | None = None

    @property
    def user(self) -> Any:
        return self.uploaded_file.user

    @property
    def account(self) -> Account | None:
        return self.uploaded_file.account


@dataclass
class StageResult:
    """What a stage reports: its log status and details.

    A stage that cannot go on raises instead (a :class:`StatementError` with a
    message for the user, optionally with a ``details`` dict attribute).
    """

    status: str = LogStatus.SUCCESS
    details: dict[str, Any] = field(default_factory=dict)
    parser_type: str = ""
    provider: str = ""


def _skipped(reason: str, **details: Any) -> StageResult:
    return StageResult(status=LogStatus.SKIPPED, details={"reason": reason, **details})


def _with_details(err: ExpenseAIError, details: dict[str, Any]) -> ExpenseAIError:
    err.details = details  # type: ignore[attr-defined]  # read by the runner
    return err


# -- stages --------------------------------------------------------------------


def stage_upload(ctx: ImportContext) -> StageResult:
    """Check the size and the content's format; recognise a file imported before."""
    uf = ctx.uploaded_file
    limit = settings.MAX_UPLOAD_BYTES
    if limit and uf.size > limit:
        raise StatementTooLarge(
            f"The file {uf.filename!r} is {uf.size:,} bytes; the limit is {limit:,}. "
            "Split the statement by month or ask your administrator to raise MAX_UPLOAD_BYTES."
        )
    if ctx.data is None:
        ctx.data = _stored_bytes(uf)
    try:
        ctx.format = detect_format(ctx.data, uf.filename, max_bytes=settings.MAX_UPLOAD_BYTES)
    except (UnsupportedFormat, CorruptStatement):
        # A refused file's bytes are not kept; its row and logs stay for the audit.
        _discard_bytes(uf)
        raise
    _keep_bytes(ctx)
    content_type = _CONTENT_TYPES[ctx.format]
    if uf.content_type != content_type:
        UploadedFile.objects.filter(pk=uf.pk).update(content_type=content_type)
        uf.content_type = content_type
    details: dict[str, Any] = {
        "filename": uf.filename,
        "size": uf.size,
        "sha256": uf.sha256,
        "format": ctx.format,
        "stored_as": uf.file.name if uf.file else "",
        "review": ctx.review,  # read back by process_queued in enqueue mode
    }
    original = (
        UploadedFile.objects.filter(
            user_id=uf.user_id, sha256=uf.sha256, status=FileStatus.COMPLETED, duplicate_of__isnull=True
        )
        .exclude(pk=uf.pk)
        .order_by("created_at", "pk")
        .first()
    )
    if original is not None:
        UploadedFile.objects.filter(pk=uf.pk).update(duplicate_of=original, duplicate_confidence=Decimal(100))
        uf.duplicate_of, uf.duplicate_confidence = original, Decimal(100)
        ctx.stop_reason = f"The same file (sha256) was already imported as file #{original.pk}."
        details.update(duplicate_of=original.pk, duplicate_confidence=100)
    elif uf.duplicate_of_id:  # reprocessed after the original went away
        UploadedFile.objects.filter(pk=uf.pk).update(duplicate_of=None, duplicate_confidence=None)
        uf.duplicate_of, uf.duplicate_confidence = None, None
    return StageResult(details=details)


def stage_password_decrypt(ctx: ImportContext) -> StageResult:
    """Open an encrypted PDF: the caller's password, then stored ones in order."""
    if ctx.format != "pdf":
        return _skipped(f"{ctx.format.upper()} files are not encrypted.")
    data = ctx.data or b""
    uf = ctx.uploaded_file
    caps = read_limits()
    if not pdf.needs_password(data, engine=settings.PDF_ENGINE):
        ctx.unlocked = pdf.unlock_pdf(data, None, engine=settings.PDF_ENGINE, limits=caps)
        save_file_fields(uf, is_password_protected=False, used_password=None)
        if not ctx.unlocked.encrypted:
            return _skipped("The PDF is not encrypted.")
        return StageResult(
            details={"encrypted": True, "password_needed": False, "opened_with": "the empty user password"}
        )

    # The order is the password matching's; None stands for the caller's password.
    tries = passwords_to_try(ctx.user, uf.filename, ctx.account, typed=bool(ctx.password))
    if not tries:
        raise _with_details(
            PasswordRequired(
                "This PDF is password-protected and no password was given or stored for it. Enter the "
                "statement password, or save one in the password book for this account, then reprocess."
            ),
            {"encrypted": True, "attempts": []},
        )
    attempts: list[dict[str, Any]] = []
    for entry in tries:
        who = {"source": "caller"} if entry is None else {
            "source": "stored", "password_id": entry.pk, "hint": entry.password_hint
        }
        try:
            secret = ctx.password if entry is None else entry.get_password()
        except DecryptionError:
            attempts.append({**who, "outcome": "unreadable: the encryption key for it is missing"})
            continue
        try:
            ctx.unlocked = pdf.unlock_pdf(data, secret, engine=settings.PDF_ENGINE, limits=caps)
        except WrongPassword:
            attempts.append({**who, "outcome": "did not open it"})
            continue
        attempts.append({**who, "outcome": "opened it"})
        if entry is not None:
            record_password_success(entry, uf)
        else:
            save_file_fields(uf, is_password_protected=ctx.unlocked.password_needed, used_password=None)
        return StageResult(
            details={
                "encrypted": True,
                "password_needed": ctx.unlocked.password_needed,
                "opened_with": who,
                "attempts": attempts,
            }
        )
    raise _with_details(
        WrongPassword(
            f"None of the {len(tries)} password(s) tried opened this PDF. Check the statement password "
            "(often a date of birth or part of an ID number) and reprocess the file with it."
        ),
        {"encrypted": True, "attempts": attempts},
    )


def stage_text_extraction(ctx: ImportContext) -> StageResult:
    """Get the text out: PDF pages in layout mode, CSV/OFX decoded."""
    with limits.processing_deadline(settings.MAX_PROCESSING_SECONDS):
        return _extract_text(ctx)


def _extract_text(ctx: ImportContext) -> StageResult:
    # The reader's own steps (reader.pdf_document / text_document), with the site's limits.
    uf = ctx.uploaded_file
    data = ctx.data or b""
    caps = read_limits()
    details: dict[str, Any] = {"format": ctx.format}
    if ctx.format == "pdf":
        unlocked = ctx.unlocked or pdf.unlock_pdf(data, None, engine=settings.PDF_ENGINE, limits=caps)
        ctx.unlocked = None
        ctx.document = pdf_document(data, uf.filename, unlocked, limits=caps)
        details["engine"] = unlocked.reader.engine
        details["pages"] = len(ctx.document.pages)
    else:
        # The account's saved bank profile reads its CSV without guessing.
        profile = profile_for_import(ctx.account) if ctx.format == "csv" else None
        ctx.document = text_document(data, uf.filename, ctx.format, limits=caps, profile=profile)
        if ctx.format == "csv":
            details["encoding"] = ctx.document.encoding
        if profile is not None:
            details["bank_profile"] = profile.name
    # PostgreSQL text cannot hold NUL; nothing a person reads is lost.
    raw = ctx.document.text.replace("\x00", "")
    save_file_fields(uf, raw_text_extracted=raw)
    details["characters"] = len(raw)
    return StageResult(details=details)


def stage_parse_attempt(ctx: ImportContext) -> StageResult:
    """Let the registered system parsers read the text; the most confident one wins."""
    assert ctx.document is not None
    ai_possible = ctx.provider_name != ai.SYSTEM
    try:
        parsed = parse_document(ctx.document)
    except StatementTooLarge:
        raise
    except StatementError as err:
        if not ai_possible:
            raise
        # The user's AI provider gets its chance in ai_parse.
        return StageResult(
            status=LogStatus.FAILED,
            parser_type=ParserType.SYSTEM,
            details={"error": type(err).__name__, "message": str(err), "next": "ai_parse"},
        )
    ctx.parsed = parsed
    ctx.rows, ctx.confidence, ctx.parser_name = parsed.rows, parsed.confidence, parsed.parser
    ctx.parser_type = ParserType.SYSTEM
    ctx.found = len(parsed.rows)
    details = {
        "parser": parsed.parser,
        "confidence": round(parsed.confidence, 4),
        "rows": len(parsed.rows),
        "currency": parsed.currency,
        "period_start": parsed.period_start,
        "period_end": parsed.period_end,
        "opening_balance": parsed.opening_balance,
        "closing_balance": parsed.closing_balance,
        "account_hint": parsed.account_hint,
        "warnings": list(parsed.warnings),
    }
    if not parsed.rows and not ai_possible:
        raise _with_details(_no_rows(parsed), details)
    return StageResult(details=details, parser_type=ParserType.SYSTEM)


def stage_ai_parse(ctx: ImportContext) -> StageResult:
    """Ask the user's AI provider: always when they chose one; never for ``system`` users.

    A ``system`` user's weak or empty parse is noted (a hybrid fallback needs a
    provider). When the provider fails but the system parse found rows, those
    are kept and the stage is logged ``failed``.
    """
    system_rows = bool(ctx.parsed and ctx.parsed.rows)
    threshold = float(settings.AI_FALLBACK_CONFIDENCE)
    weak = not system_rows or ctx.confidence < threshold
    if ctx.provider_name == ai.SYSTEM:
        extra = {}
        if weak:
            extra["note"] = (
                f"System parser confidence {ctx.confidence:.2f} is below AI_FALLBACK_CONFIDENCE "
                f"{threshold:.2f}; choosing an AI provider would let it read such statements."
            )
        return _skipped("The user's parser is the system parser.", **extra)

    parser_type = ParserType.HYBRID if system_rows else ParserType.AI
    assert ctx.document is not None
    currency_hint = (ctx.parsed.currency if ctx.parsed else None) or (ctx.account.currency if ctx.account else None)
    try:
        # Network I/O: no database transaction is open here (see the module docstring).
        result = ai.call_provider(
            ctx.user, "parse_statement", provider_name=ctx.provider_name,
            text=ctx.document.text, currency_hint=currency_hint,
        )
    except ProviderError as err:
        details = ai.error_details(err)
        if system_rows:
            details["kept"] = f"the system parse by {ctx.parser_name!r} ({len(ctx.rows)} rows)"
            status = LogStatus.SKIPPED if isinstance(err, ProviderUnavailable) else LogStatus.FAILED
            return StageResult(status=status, details=details, parser_type=parser_type,
                               provider=ctx.provider_name)
        raise _with_details(
            StatementError(
                f"The system parsers found no transactions and the AI provider {ctx.provider_name!r} "
                f"could not read the statement: {err}"
            ),
            details,
        ) from err
    rows = tuple(result.value or ())
    details = ai.result_details(result)
    details["rows"] = len(rows)
    if not rows:
        if not system_rows:
            raise _with_details(
                StatementError(
                    "No transactions were found in this file, neither by the system parsers nor by "
                    f"the AI provider {ctx.provider_name!r}. Check that it is a bank statement."
                ),
                details,
            )
        details["kept"] = f"the system parse by {ctx.parser_name!r}: the AI found no rows"
        return StageResult(details=details, parser_type=parser_type, provider=ctx.provider_name)
    ctx.rows, ctx.confidence = rows, float(result.confidence)
    ctx.parser_name, ctx.parser_type, ctx.ai_provider = result.provider, parser_type, ctx.provider_name
    ctx.found = len(rows)
    if system_rows and ctx.parsed is not None:
        details["replaced"] = f"the system parse by {ctx.parsed.parser!r} ({len(ctx.parsed.rows)} rows)"
    return StageResult(details=details, parser_type=parser_type, provider=ctx.provider_name)


def stage_validation(ctx: ImportContext) -> StageResult:
    """Check dates, amounts, currency and balances; save ``parsed_json`` for the comparison view."""
    uf = ctx.uploaded_file
    parsed = ctx.parsed
    statement_currency = parsed.currency if parsed else None
    save_file_fields(uf, parsed_json=_parsed_json(ctx, statement_currency))
    use_balances = parsed is not None and ctx.parser_type == ParserType.SYSTEM
    report = validation.validate_rows(
        ctx.rows,
        currency=statement_currency,
        fallback_currency=fallback_currency(ctx.user, ctx.account),
        today=timezone.localdate(),
        confidence=ctx.confidence,
        opening_balance=parsed.opening_balance if parsed is not None and use_balances else None,
        closing_balance=parsed.closing_balance if parsed is not None and use_balances else None,
    )
    details = report.details()
    if not report.ok:
        first = report.problems[0]
        raise _with_details(
            StatementValidationError(
                f"{len(report.problems)} of {len(ctx.rows)} rows failed validation, so nothing was "
                f"imported; the first is row {first.row + 1} ({first.field}): {first.message}"
            ),
            details,
        )
    ctx.rows, ctx.confidence = report.rows, report.confidence
    return StageResult(details=details, parser_type=ctx.parser_type, provider=ctx.ai_provider)


def stage_deduplication(ctx: ImportContext) -> StageResult:
    """Skip rows already in the ledger (bank id, fingerprint, fuzzy; count-aware)."""
    # The mark is read before the rows: a commit between the two makes the
    # creation stage check again, never miss a change.
    ctx.ledger_mark = _ledger_mark(ctx)
    ctx.dedup = _find_duplicates(ctx)
    details = ctx.dedup.details(ctx.rows)
    if ctx.review:
        details["held_for_review"] = True
    return StageResult(details=details)


def _find_duplicates(ctx: ImportContext) -> dedup.DedupResult:
    # OFX promises one FITID per transaction; a CSV "reference" may repeat.
    unique_ids = ctx.format == "ofx" and ctx.parser_type == ParserType.SYSTEM
    return ledger_candidates.find_duplicates(ctx.user, ctx.account, ctx.rows, unique_bank_ids=unique_ids)


def _ledger_mark(ctx: ImportContext) -> tuple[int, Any] | None:
    """``(count, highest pk)`` of the transactions de-duplication compares with; ``None`` without rows."""
    if not ctx.rows:
        return None
    mark = ledger_candidates.candidate_scope(ctx.user, ctx.account, ctx.rows).aggregate(n=Count("pk"), top=Max("pk"))
    return (mark["n"], mark["top"])


def _lock_ledger(ctx: ImportContext) -> None:
    """Serialise imports into one account (or one user's transactions without account).

    Held until the creation commits: a second import of an overlapping
    statement waits here, then sees the first one's rows (READ COMMITTED on
    PostgreSQL, and on MariaDB/MySQL as Django configures it); SQLite
    allows one writer at a time anyway.
    """
    uf = ctx.uploaded_file
    if uf.account_id is not None:
        list(Account.objects.select_for_update().filter(pk=uf.account_id).values_list("pk"))
    else:
        lock_user(uf.user_id)


def stage_transaction_creation(ctx: ImportContext) -> StageResult:
    """Create the new rows' transactions together, in one atomic insert.

    The account (without one, the user) is locked first, so two imports of
    overlapping statements cannot both create the rows they share: when the
    ledger changed since de-duplication (its ``(count, highest pk)`` in the
    compared dates differs), the rows are matched again under the lock and
    the log's ``rechecked`` says so. On PostgreSQL a large batch is written
    with ``COPY`` (see :mod:`.bulk`), elsewhere with ``bulk_create``; the rows
    are the same either way.
    """
    if ctx.selection is not None or (ctx.dedup is not None and ctx.dedup.new_rows):
        prepare_categories(ctx.uploaded_file.user_id)  # (re)train from history before the lock, not under it
    with transaction.atomic():
        if ctx.selection is not None:
            rechecked = _recheck_reviewed(ctx)
        else:
            assert ctx.dedup is not None
            rechecked = _recheck_duplicates(ctx)
        assert ctx.dedup is not None  # _recheck_reviewed sets it
        if not ctx.dedup.new_rows:
            return _skipped("Every row is already in the ledger.", created=0, **rechecked)
        details = _create_transactions(ctx)
    return StageResult(details={**details, **rechecked})


def _recheck_duplicates(ctx: ImportContext) -> dict[str, Any]:
    """Lock the ledger; match the rows again if another import changed it since de-duplication."""
    _lock_ledger(ctx)
    if ctx.ledger_mark is None or _ledger_mark(ctx) == ctx.ledger_mark:
        return {}
    before = len(ctx.dedup.matches) if ctx.dedup else 0
    ctx.dedup = _find_duplicates(ctx)
    # The log says what changed; the de-duplication log row keeps the first answer.
    return {"rechecked": {"reason": "the ledger changed during the import (another import, probably)",
                          "duplicates_before": before, "duplicates_now": len(ctx.dedup.matches),
                          "skipped": ctx.dedup.details(ctx.rows)["skipped"]}}


def _recheck_reviewed(ctx: ImportContext) -> dict[str, Any]:
    """Lock the ledger, match the reviewed rows again and keep the user's choice of them.

    Time passed since the review was shown: another import may have landed.
    A row the user included that is now a sure duplicate (bank id, fingerprint,
    the same file twice) is left out unless the user forced it; a possible
    (fuzzy) duplicate stays the user's choice.
    """
    assert ctx.selection is not None
    _lock_ledger(ctx)
    found = _find_duplicates(ctx)
    sure = {m.row: m for m in found.matches if m.reason != "fuzzy"}
    include, force = ctx.selection["include"], ctx.selection["force"]
    chosen = tuple(i for i in range(len(ctx.rows)) if i in include and (i not in sure or i in force))
    now_duplicate = sorted(i for i in include if i in sure and i not in force)
    ctx.dedup = dedup.DedupResult(
        new_rows=chosen,
        matches=tuple(m for m in found.matches if m.row not in set(chosen)),
        fingerprints=found.fingerprints,
        candidates=found.candidates,
    )
    review: dict[str, Any] = {"chosen": len(chosen), "left_out_by_user": len(ctx.rows) - len(include)}
    if now_duplicate:
        review["left_out_now_duplicate"] = now_duplicate
    return {"review": review}


def _create_transactions(ctx: ImportContext) -> dict[str, Any]:
    """Build and insert the new rows' transactions (the caller holds the atomic block)."""
    assert ctx.dedup is not None
    uf = ctx.uploaded_file
    default_class = Transaction._meta.get_field("expense_classification").get_default()
    build = bulk.instance_builder(
        Transaction,
        user_id=uf.user_id,
        account_id=uf.account_id,
        source=TransactionSource.STATEMENT,
        uploaded_file_id=uf.pk,
        expense_classification=default_class,
        exclude_from_totals=is_excluded(default_class),
    )
    rows, fingerprints = ctx.rows, ctx.dedup.fingerprints
    objects = [
        build(
            date=rows[index].date,
            amount=rows[index].amount,
            currency=rows[index].currency or "",
            description=rows[index].description[: dedup.DESCRIPTION_LENGTH],
            bank_id=(rows[index].bank_id or "")[:255],
            merchant=(rows[index].merchant or "")[:200],
            import_fingerprint=fingerprints[index],
        )
        for index in ctx.dedup.new_rows
    ]
    # Categories from the user's history (and host plugins) before any AI provider; see categorize.
    categorized = categorize_new_transactions(uf.user_id, objects)
    corrected = (ctx.selection or {}).get("categories") or {}
    if corrected:  # the user's category choices in the review win over history's
        for index, obj in zip(ctx.dedup.new_rows, objects, strict=True):
            if index in corrected:
                obj.category_id = corrected[index]
    written = ledger.create_transactions(uf.user, objects)
    ctx.created = written.transactions
    total = sum((tx.amount for tx in ctx.created), Decimal(0))
    details = {
        "created": len(ctx.created), "total": money_str(total), "by_classification": written.by_classification,
    }
    if written.plugin_errors:
        details["classification_plugin_errors"] = written.plugin_errors
    if any(decision.suggestion for decision in categorized):
        details["categories"] = _categorized_details(ctx.created, categorized)
    return details


def _categorized_details(created: list[Transaction], decisions: list[Any]) -> dict[str, Any]:
    """The log's record of history's categories: how many applied, and the suggestions left below the bar."""
    suggested = [
        {"transaction_id": tx.pk, **decision.suggestion.to_data()}
        for tx, decision in zip(created, decisions, strict=True)
        if decision.suggestion is not None and not decision.applied
    ]
    return {"applied": sum(d.applied for d in decisions), "suggested": suggested}


def stage_completion(ctx: ImportContext) -> StageResult:
    """Mark the file completed and summarise the run."""
    uf = ctx.uploaded_file
    transition(uf, FileStatus.COMPLETED, processed_at=timezone.now(), error_stage="", error_message="")
    return StageResult(details=_summary(ctx), parser_type=ctx.parser_type, provider=ctx.ai_provider)


#: The pipeline, in order: ``(stage name, function)``.
STAGES: tuple[tuple[str, Callable[[ImportContext], StageResult]], ...] = (
    (ProcessingStage.UPLOAD, stage_upload),
    (ProcessingStage.PASSWORD_DECRYPT, stage_password_decrypt),
    (ProcessingStage.TEXT_EXTRACTION, stage_text_extraction),
    (ProcessingStage.PARSE_ATTEMPT, stage_parse_attempt),
    (ProcessingStage.AI_PARSE, stage_ai_parse),
    (ProcessingStage.VALIDATION, stage_validation),
    (ProcessingStage.DEDUPLICATION, stage_deduplication),
    (ProcessingStage.TRANSACTION_CREATION, stage_transaction_creation),
    (ProcessingStage.COMPLETION, stage_completion),
)
_STAGE_NAMES = tuple(name for name, _ in STAGES)


# -- running -------------------------------------------------------------------


def run_stages(ctx: ImportContext, *, start: str = ProcessingStage.UPLOAD, stop_after: str | None = None) -> bool:
    """Run the stages from ``start`` (to ``stop_after``, or to the end), each one logged.

    The import runs them all; a review's commit (:mod:`.review`) runs the last
    two from ``transaction_creation``. Call :func:`finish` after.

    :returns: True when every stage run succeeded or was skipped; False when
        one failed (the file is then ``failed`` and the rest is logged).
    """
    stages = STAGES[_STAGE_NAMES.index(start):]
    if stop_after is not None:
        stages = stages[: [name for name, _ in stages].index(stop_after) + 1]
    for position, (name, function) in enumerate(stages):
        if ctx.stop_reason and name != ProcessingStage.COMPLETION:
            log_stage(ctx.uploaded_file, name, _skipped(ctx.stop_reason), 0)
            continue
        started = time.perf_counter()
        try:
            result = function(ctx)
        except Exception as err:
            elapsed = _ms(started)
            message = _user_message(err, name)
            details = {"error": type(err).__name__, "message": message, **getattr(err, "details", {})}
            log_stage(ctx.uploaded_file, name, StageResult(LogStatus.FAILED, details, ctx.parser_type), elapsed)
            _fail(ctx, name, message, remaining=[n for n, _ in stages[position + 1:]])
            return False
        log_stage(ctx.uploaded_file, name, result, _ms(started))
        if name == ProcessingStage.DEDUPLICATION and ctx.review and not ctx.stop_reason:
            _hold_for_review(ctx)
            return True
    return True


def _hold_for_review(ctx: ImportContext) -> None:
    """Stop after de-duplication: keep the rows and their verdicts on the file, wait for the user."""
    uf = ctx.uploaded_file
    parsed = dict(uf.parsed_json or {})
    parsed["review"] = initial_review(ctx)
    transition(uf, FileStatus.AWAITING_REVIEW, parsed_json=parsed)


def _fail(ctx: ImportContext, stage: str, message: str, *, remaining: list[str]) -> None:
    uf = ctx.uploaded_file
    for name in remaining:
        if name == ProcessingStage.COMPLETION:
            continue
        log_stage(uf, name, _skipped(f"Not run: the {stage} stage failed."), 0)
    if stage != ProcessingStage.COMPLETION:
        log_stage(uf, ProcessingStage.COMPLETION,
             StageResult(LogStatus.FAILED, {"error_stage": stage, "error_message": message, **_summary(ctx)}), 0)
    if uf.status == FileStatus.PROCESSING:
        transition(uf, FileStatus.FAILED, error_stage=stage, error_message=message, processed_at=timezone.now())


def log_stage(uploaded_file: UploadedFile, stage: str, result: StageResult, elapsed_ms: int = 0) -> None:
    """Write the stage's :class:`StatementProcessingLog` row and tell the ``statement_stage_completed`` hook.

    The row is committed in its own short transaction (it survives a later
    failure); a failing hook is logged and ignored.
    """
    details = jsonable(result.details)
    with transaction.atomic():  # its own short transaction: it survives later failures
        StatementProcessingLog.objects.create(
            uploaded_file=uploaded_file,
            processing_stage=stage,
            status=result.status,
            parser_type=result.parser_type or "",
            ai_provider=result.provider or "",
            details=details,
            execution_time_ms=elapsed_ms,
        )
    try:
        plugins.hook().statement_stage_completed(
            uploaded_file=uploaded_file, stage=str(stage), status=str(result.status), details=details
        )
    except Exception:  # a notification must not break the import
        logger.exception("statement_stage_completed hook failed for file #%s", uploaded_file.pk)


def finish(ctx: ImportContext) -> UploadedFile:
    """End a run: close the PDF, put the outcome on the file and, unless it
    waits for review, call the ``statement_processed`` hook (a failing hook is logged).

    :returns: the file with ``created_transactions``, ``skipped_duplicates`` and ``rows_found``.
    """
    uf = ctx.uploaded_file
    if ctx.unlocked is not None:  # opened, but the text stage did not run (a duplicate file)
        ctx.unlocked.reader.close()
        ctx.unlocked = None
    uf.created_transactions = ctx.created
    uf.skipped_duplicates = ctx.dedup.details(ctx.rows)["skipped"] if ctx.dedup else []
    uf.rows_found = ctx.found
    if uf.status == FileStatus.AWAITING_REVIEW:  # nothing landed yet: told when the review is committed
        return uf
    # Duplicate-statement detection is a built-in statement_processed plugin
    # (statements/duplicates.py), called first.
    try:
        plugins.hook().statement_processed(
            uploaded_file=uf, created=list(ctx.created), duplicates=len(uf.skipped_duplicates)
        )
    except Exception:
        logger.exception("statement_processed hook failed for file #%s", uf.pk)
    return uf


# -- public API ----------------------------------------------------------------


@sensitive_variables("password")
def import_statement(
    user: UserLike,
    file: Any,
    *,
    filename: str | None = None,
    account: Any = None,
    password: str | None = None,
    defer_large: bool = True,
    review: bool = False,
) -> UploadedFile:
    """Import a statement file for ``user``.

    :param file: ``bytes``, a Django ``File``/``UploadedFile`` (or any binary
        file object), or a filesystem path.
    :param filename: the name shown to the user (default: the file's own name).
    :param account: an :class:`Account` of ``user`` (or its id), or ``None``.
    :param password: tried first on an encrypted PDF; never stored. In the
        enqueue mode it is used before enqueueing (unlock and extract text) or not at all.
    :param defer_large: in immediate mode, hand a file over ``IMMEDIATE_MAX_BYTES``
        or ``IMMEDIATE_MAX_PAGES`` to the task queue (for web requests); ``False``
        reads it here whatever its size (a management command, a worker).
    :param review: stop after de-duplication with the file ``awaiting_review``:
        nothing is created until :func:`.review.commit_review` (see :doc:`review`).
    :returns: the :class:`UploadedFile`, ``completed``, ``failed`` or (enqueue
        mode, or a large file in immediate mode) ``queued``, with ``created_transactions`` (list of new
        :class:`Transaction`), ``skipped_duplicates`` (one dict per skipped row:
        the row, ``matched_transaction_id``, ``reason``, ``score``) and
        ``rows_found`` set. Its ``processing_logs`` tell every stage.
    :raises NotYours: ``account`` is not one of the user's accounts.
    :raises WrongArgumentType: ``file`` is not bytes, a file object or a path.
    :raises OSError: a path that cannot be read.
    """
    account = _own_account(user, account)
    data, name, size = _read_input(file, filename)
    uf = UploadedFile(
        user=user,
        account=account,
        filename=name,  # cleaned for display by UploadedFile.save()
        size=size,
        sha256=hashlib.sha256(data).hexdigest() if data is not None else "",
        processing_version=settings.PROCESSING_VERSION,
    )
    # The bytes are stored by the upload stage, once their format is known (see _keep_bytes).
    uf.save()
    return _start(uf, data=data, password=password, defer_large=defer_large, review=review)


@sensitive_variables("password")
def reprocess(uploaded_file: UploadedFile, *, password: str | None = None) -> UploadedFile:
    """Run a ``failed`` or ``completed`` file through the pipeline again.

    Rows already in the ledger (from an earlier run) are recognised by the
    de-duplication stage, so nothing is created twice.

    :returns: the file, as :func:`import_statement` returns it.
    :raises InvalidTransition: the file is ``pending``, ``queued`` or ``processing``.
    """
    if uploaded_file.status not in (FileStatus.FAILED, FileStatus.COMPLETED):
        raise InvalidTransition(
            f"Only failed or completed files can be reprocessed; file #{uploaded_file.pk} is "
            f"{uploaded_file.status!r}."
        )
    return _start(uploaded_file, data=None, password=password)


def _queue_task(function: Callable[..., Any]) -> Any:
    # Django 6.0+ ships django.tasks; on 5.2 the django-tasks backport provides it.
    return task()(function) if task is not None else function


@_queue_task
def process_statement(uploaded_file_id: int) -> dict[str, Any]:
    """The task of enqueue mode: finish importing a queued file (only its id is queued).

    :returns: ``{"uploaded_file": id, "status": ..., "created": n, "duplicates": n}`` (JSON).
    :raises UploadedFile.DoesNotExist: the file was deleted after it was queued.
    :raises InvalidTransition: the file is not ``queued``.
    """
    uploaded_file = process_queued(uploaded_file_id)
    return {
        "uploaded_file": uploaded_file.pk,
        "status": uploaded_file.status,
        "created": len(uploaded_file.created_transactions),
        "duplicates": len(uploaded_file.skipped_duplicates),
    }


def enqueue_processing(uploaded_file: UploadedFile) -> None:
    """Enqueue :func:`process_statement` with the file's id once the current transaction commits.

    In autocommit mode it is enqueued at once; inside ``transaction.atomic`` the
    worker could otherwise look for a row that is not committed yet.

    :raises ConfigurationError: no tasks framework is installed.
    """
    if task is None:
        raise ConfigurationError(
            'EXPENSE_AI["TASKS_MODE"] is "enqueue" but no tasks framework is installed: use Django 6.0+ '
            "or install the django-tasks backport (the [tasks] extra)."
        )
    pk = int(uploaded_file.pk)
    transaction.on_commit(lambda: process_statement.enqueue(pk))


def process_queued(uploaded_file_id: int) -> UploadedFile:
    """Finish a file the enqueue mode handed over (the task's body).

    Resumes after the last stage the request ran: after ``upload``, or after
    ``text_extraction`` when the caller's password was used to unlock it.

    :returns: the file, ``completed`` or ``failed``.
    :raises UploadedFile.DoesNotExist: the file was deleted meanwhile.
    :raises InvalidTransition: the file is not ``queued`` (another worker has it).
    """
    uf = UploadedFile.objects.select_related("user", "account").get(pk=uploaded_file_id)
    transition(uf, FileStatus.PROCESSING)
    ctx = ImportContext(uploaded_file=uf, provider_name=ai.active_provider_name(uf.user))
    upload_log = uf.processing_logs.filter(processing_stage=ProcessingStage.UPLOAD).order_by("-pk").first()
    ctx.review = bool(upload_log and isinstance(upload_log.details, dict) and upload_log.details.get("review"))
    last = uf.processing_logs.order_by("-pk").values_list("processing_stage", "status").first()
    start: str = ProcessingStage.UPLOAD
    if last and last[1] != LogStatus.FAILED and last[0] in _STAGE_NAMES[:-1]:
        start = _STAGE_NAMES[_STAGE_NAMES.index(last[0]) + 1]
    try:
        if start == ProcessingStage.PARSE_ATTEMPT:
            ctx.data = _stored_bytes(uf)
            ctx.format = _FORMAT_OF_TYPE.get(uf.content_type) or detect_format(
                ctx.data, uf.filename, max_bytes=settings.MAX_UPLOAD_BYTES
            )
            ctx.document = _document_from_raw_text(uf, ctx.data, ctx.format)
        elif start != ProcessingStage.UPLOAD:
            ctx.data = _stored_bytes(uf)
            ctx.format = detect_format(ctx.data, uf.filename, max_bytes=settings.MAX_UPLOAD_BYTES)
    except StatementError as err:
        log_stage(uf, start, StageResult(LogStatus.FAILED, {"error": type(err).__name__, "message": str(err)}), 0)
        _fail(ctx, start, str(err), remaining=list(_STAGE_NAMES[_STAGE_NAMES.index(start) + 1:]))
        return finish(ctx)
    run_stages(ctx, start=start)
    return finish(ctx)


@sensitive_variables("password")
def _start(
    uf: UploadedFile, *, data: bytes | None, password: str | None, defer_large: bool = True,
    review: bool = False,
) -> UploadedFile:
    transition(
        uf, FileStatus.PROCESSING, error_stage="", error_message="",
        processing_version=settings.PROCESSING_VERSION,
    )
    ctx = ImportContext(uploaded_file=uf, password=password or None, data=data,
                        provider_name=ai.active_provider_name(uf.user), review=review)
    if settings.TASKS_MODE != "enqueue" and not (defer_large and _too_big_for_the_request(uf, data)):
        run_stages(ctx)
        return finish(ctx)
    # Enqueue mode: the request runs what needs the caller's password (or just the
    # cheap upload checks); the worker gets only the file's id.
    stop = ProcessingStage.TEXT_EXTRACTION if ctx.password else ProcessingStage.UPLOAD
    if not run_stages(ctx, stop_after=stop) or ctx.stop_reason:
        if ctx.stop_reason:
            run_stages(ctx, start=_STAGE_NAMES[_STAGE_NAMES.index(stop) + 1])
        return finish(ctx)
    transition(uf, FileStatus.QUEUED)
    enqueue_processing(uf)
    uf.created_transactions, uf.skipped_duplicates, uf.rows_found = [], [], 0
    return uf


# -- helpers -------------------------------------------------------------------


def _too_big_for_the_request(uf: UploadedFile, data: bytes | None) -> bool:
    """Whether an immediate-mode import should go to the task queue instead.

    True for a file over ``IMMEDIATE_MAX_BYTES``, or a PDF of more than
    ``IMMEDIATE_MAX_PAGES`` pages (counted without reading any page), when a
    tasks backend is installed to take it.
    """
    max_bytes, max_pages = settings.IMMEDIATE_MAX_BYTES, settings.IMMEDIATE_MAX_PAGES
    too_big = bool(max_bytes and uf.size > max_bytes)
    if not too_big and max_pages and data is not None and data[:1024].lstrip().startswith(b"%PDF"):
        pages = pdf.page_count(data, engine=settings.PDF_ENGINE)
        too_big = pages is not None and pages > max_pages
    if not too_big:
        return False
    if task is None:  # neither django.tasks nor the django-tasks backport
        logger.warning("File #%s is over the immediate-mode limits but no tasks backend is installed; "
                       "reading it in the request.", uf.pk)
        return False
    return True



def _ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)


def save_file_fields(uf: UploadedFile, **fields: Any) -> None:
    """Save some fields of the file now (with ``updated_at``), in their own short
    statement, and set them on the instance. Not its status: see :func:`transition`."""
    UploadedFile.objects.filter(pk=uf.pk).update(updated_at=timezone.now(), **fields)
    for name, value in fields.items():
        setattr(uf, name, value)


def storage_used(user: UserLike) -> int:
    """Bytes of statement files ``user`` keeps in storage (what ``MAX_STORAGE_BYTES_PER_USER`` limits).

    Files whose bytes were not kept (refused, too large) and deleted files do not count.

    :returns: the sum of ``size`` over the user's files that have stored bytes.
    """
    user_id = getattr(user, "pk", user)
    return _kept_bytes(user_id)


def _kept_bytes(user_id: Any, *, exclude: Any = None) -> int:
    qs = UploadedFile.objects.filter(user_id=user_id).exclude(file="")
    if exclude is not None:
        qs = qs.exclude(pk=exclude)
    return int(qs.aggregate(total=Sum("size"))["total"] or 0)


def _keep_bytes(ctx: ImportContext) -> None:
    """Store the accepted bytes under a random name with the detected format's extension.

    Within the user's quota, checked under the user's lock so two uploads at
    once cannot both slip under it. A file stored before (a reprocess) stays
    where it is, unless its name carries another extension (stored by an
    older version under the user's extension): then it is stored again.

    :raises StorageQuotaExceeded: keeping it would pass ``MAX_STORAGE_BYTES_PER_USER``.
    """
    uf = ctx.uploaded_file
    data = ctx.data or b""
    suffix = stored_suffix(ctx.format, uf.filename)
    old_name = uf.file.name if uf.file else ""
    if old_name and os.path.splitext(old_name)[1].lower() == suffix:
        return
    with transaction.atomic():
        lock_user(uf.user_id)
        if not old_name:
            _check_quota(uf, len(data))
        # upload_to gives an unguessable name; the user's name stays in ``filename``.
        uf.file.save("statement" + suffix, ContentFile(data), save=False)
        try:
            UploadedFile.objects.filter(pk=uf.pk).update(file=uf.file.name, updated_at=timezone.now())
        except Exception:
            if uf.file.name:  # saved just above
                uf.file.storage.delete(uf.file.name)
            raise
    if old_name:
        storage = uf.file.storage
        transaction.on_commit(lambda: storage.delete(old_name))


def _check_quota(uf: UploadedFile, size: int) -> None:
    quota = settings.MAX_STORAGE_BYTES_PER_USER
    if not quota:
        return
    used = _kept_bytes(uf.user_id, exclude=uf.pk)
    if used + size > quota:
        raise StorageQuotaExceeded(
            f"Keeping {uf.filename!r} ({_mib(size)}) would bring your stored statement files to "
            f"{_mib(used + size)}; the limit per user is {_mib(quota)} (MAX_STORAGE_BYTES_PER_USER). "
            "Delete statement files you no longer need, or ask your administrator to raise the limit.",
            limit=int(quota), used=used, size=size,
        )


def _mib(size: int) -> str:
    return f"{size / (1024 * 1024):,.1f} MiB" if size >= 1024 * 1024 else f"{size:,} bytes"


def _discard_bytes(uf: UploadedFile) -> None:
    """Forget and delete the stored bytes of ``uf`` (after the current transaction commits)."""
    storage, name = uf.file.storage, uf.file.name
    if not name:
        return
    save_file_fields(uf, file="")
    transaction.on_commit(lambda: storage.delete(name))


def _stored_bytes(uf: UploadedFile) -> bytes:
    if not uf.file:
        raise CorruptStatement(
            f"The bytes of {uf.filename!r} were not kept (it was refused at upload); upload the file again."
        )
    try:
        with uf.file.open("rb") as handle:
            return handle.read()
    except (OSError, FileNotFoundError) as err:
        raise CorruptStatement(
            f"The stored copy of {uf.filename!r} cannot be read; upload the file again."
        ) from err


def _document_from_raw_text(uf: UploadedFile, data: bytes, fmt: str) -> StatementDocument:
    text = uf.raw_text_extracted
    if fmt == "pdf":
        return StatementDocument(
            data=data, filename=uf.filename, format="pdf", text=text, pages=tuple(text.split(PAGE_BREAK)),
            encrypted=uf.is_password_protected, password_needed=uf.is_password_protected,
        )
    profile = profile_for_import(uf.account) if fmt == "csv" else None
    return StatementDocument(data=data, filename=uf.filename, format=fmt, text=text, profile=profile)


def _user_message(err: BaseException, stage: str) -> str:
    if isinstance(err, ExpenseAIError):
        return str(err) or type(err).__name__
    # Unexpected errors may carry anything in their text: name the type only.
    logger.exception("Statement pipeline stage %s failed unexpectedly", stage)
    return f"An unexpected error ({type(err).__name__}) stopped the {stage} stage; the server log has details."


def _no_rows(parsed: ParsedStatement) -> StatementError:
    why = f" ({'; '.join(parsed.warnings)})" if parsed.warnings else ""
    return StatementError(
        f"No transactions were found in this file by the {parsed.parser!r} parser{why}. Check that it is "
        "a bank statement, try the bank's CSV or OFX export, or choose an AI provider."
    )


def fallback_currency(user: UserLike, account: Account | None) -> str:
    """The currency of rows that name none: the account's, else the user's default, else ``DEFAULT_CURRENCY``."""
    if account is not None and account.currency:
        return account.currency
    from ..models.swappable import preferences_for

    return preferences_for(user).default_currency or settings.DEFAULT_CURRENCY


def _parsed_json(ctx: ImportContext, currency: str | None) -> dict[str, Any]:
    parsed = ctx.parsed
    data = jsonable(
        {
            "parser": ctx.parser_name,
            "parser_type": str(ctx.parser_type),
            "confidence": round(ctx.confidence, 4),
            "currency": currency,
            "period_start": parsed.period_start if parsed else None,
            "period_end": parsed.period_end if parsed else None,
            "opening_balance": parsed.opening_balance if parsed else None,
            "closing_balance": parsed.closing_balance if parsed else None,
            "account_hint": parsed.account_hint if parsed else "",
        }
    )
    data["rows"] = [_row_json(r) for r in ctx.rows]
    return data


def _row_json(row: StatementRow) -> dict[str, Any]:
    """One row as :func:`jsonable` writes it; the common types inline (a statement has thousands)."""
    date, amount, balance = row.date, row.amount, row.balance
    description, currency, bank_id = row.description, row.currency, row.bank_id
    return {
        "date": date.isoformat() if isinstance(date, datetime.date) else jsonable(date),
        "description": description if type(description) is str else jsonable(description),
        "amount": _money_json(amount),
        "currency": currency if currency is None or type(currency) is str else jsonable(currency),
        "balance": None if balance is None else _money_json(balance),
        "bank_id": bank_id if bank_id is None or type(bank_id) is str else jsonable(bank_id),
    }


def _money_json(value: Any) -> Any:
    """``jsonable(value)`` for an amount; a finite Decimal is formatted here, without money_str's checks."""
    if type(value) is Decimal and value.is_finite():
        return format(value, "f")
    return money_str(value) if isinstance(value, Decimal) else jsonable(value)


def _summary(ctx: ImportContext) -> dict[str, Any]:
    uf = ctx.uploaded_file
    return {
        "found": ctx.found,
        "created": len(ctx.created),
        "duplicates": len(ctx.dedup.matches) if ctx.dedup else 0,
        "parser": ctx.parser_name,
        "parser_type": str(ctx.parser_type),
        "confidence": round(ctx.confidence, 4),
        "duplicate_of": uf.duplicate_of_id,
        "note": ctx.stop_reason,
    }


def _own_account(user: UserLike, account: Any) -> Account | None:
    if account is None or account == "":
        return None
    if not isinstance(account, Account):
        account = Account.objects.filter(pk=account).first()
    if account is None or account.user_id != getattr(user, "pk", None):
        # Another user's account does not exist for this user.
        raise NotYours("No such account: a statement can only go to one of your own accounts.")
    return account


def _read_input(file: Any, filename: str | None) -> tuple[bytes | None, str, int]:
    """``(bytes or None when over the size limit, name, size)`` of any accepted input."""
    limit = settings.MAX_UPLOAD_BYTES or 0
    if isinstance(file, (bytes, bytearray, memoryview)):
        data = bytes(file)
        return (data if not limit or len(data) <= limit else None), filename or "statement", len(data)
    if isinstance(file, (str, os.PathLike)):
        path = Path(file)
        size = path.stat().st_size
        name = filename or path.name
        if limit and size > limit:
            return None, name, size
        return path.read_bytes(), name, size
    if not hasattr(file, "read"):
        raise WrongArgumentType(f"Cannot import a {type(file).__name__}: give bytes, a file object or a path.")
    name = filename or os.path.basename(getattr(file, "name", "") or "") or "statement"
    declared = getattr(file, "size", None)
    if limit and declared is not None and declared > limit:
        return None, name, int(declared)
    if hasattr(file, "seek"):
        try:
            file.seek(0)
        except (OSError, ValueError):
            pass
    data = file.read(limit + 1) if limit else file.read()
    if isinstance(data, str):
        data = data.encode("utf-8")
    if limit and len(data) > limit:
        return None, name, len(data)
    return data, name, len(data)

