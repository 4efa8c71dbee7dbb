"""Duplicate statements: detect them, suggest a :class:`StatementMerge`, apply and undo it.

* :func:`detect_duplicate_statements` compares a freshly imported file with
  the user's other completed files (same account; all files when it has none)
  whose periods overlap, scoring their *parsed rows* with
  :mod:`.similarity` (the pipeline's de-dup skips repeated rows, so comparing
  only created transactions would miss most duplicates). Above
  ``MERGE_SUGGESTION_THRESHOLD`` it stores a ``suggested`` merge with the
  explanation in ``details``. A pair that already has a merge, in any status
  (``rejected`` included), is never suggested again. Suggesting is serialised
  per user (a lock on the user's row, then a re-check of the pair), so two
  imports completing at the same moment suggest each pair once.
* :func:`transition_merge` is the only way a merge's status changes:
  ``suggested`` → ``approved`` | ``rejected``; ``approved`` → ``completed``.
  Completing applies the strategy in one atomic block.
* :func:`undo_merge` puts a completed merge's removed transactions back (same
  ids) and returns it to ``approved``; :func:`purge_merge` forgets the copies.

"Removed but restorable" without new model fields: each removed transaction is
serialised with :mod:`..models.rows`, the archive's serialiser (all concrete
fields, its splits and mentions, the chat messages pointing at it; decimals
as strings) into ``details["removed"]`` and the row is deleted. What moved onto its surviving twin (splits, mentions, chat messages,
copied fields with the twin's old values) is listed in ``details["moved"]``.
Limits: the copy lives in a JSON column, so a transaction changed by a later
migration may not restore; objects pointing at a removed transaction that this
module does not know (host models) are not recorded.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.db.models.fields.json import KT
from django.utils import timezone

from ..conf import settings
from ..exceptions import InvalidTransition, MergeError, NotYours, OwnershipError
from ..ledger import writer as ledger
from ..ledger.writer import lock_user
from ..models import (
    ChatMessage,
    StatementMerge,
    Transaction,
    TransactionMention,
    TransactionSplit,
    UploadedFile,
    ownership,
)
from ..models import rows as stored_rows
from ..models.choices import ExpenseClassification, FileStatus, MergeStatus, MergeStrategy
from ..types import UserLike
from .similarity import Statement, compare_statements, match_statement_rows, statement_from_parsed_json
from .types import StatementRow

__all__ = [
    "ALLOWED_MERGE_TRANSITIONS",
    "detect_duplicate_statements",
    "merge_review",
    "purge_merge",
    "statement_of",
    "transition_merge",
    "undo_merge",
]

logger = logging.getLogger(__name__)

#: Which status a merge may move to from each status (see :func:`transition_merge`).
ALLOWED_MERGE_TRANSITIONS: dict[str, frozenset[str]] = {
    MergeStatus.SUGGESTED: frozenset({MergeStatus.APPROVED, MergeStatus.REJECTED}),
    MergeStatus.APPROVED: frozenset({MergeStatus.COMPLETED}),
}
#: Transaction fields copied onto a twin whose own value is empty/default.
_COPIED_FIELDS = ("category_id", "notes", "merchant", "group_id", "paid_by_id", "chat_message_id")
_FLAG_FIELDS = ("is_reimbursable", "is_recurring")
_DEFAULT_CLASS = ExpenseClassification.REGULAR_MONTHLY


# -- reading statements -----------------------------------------------------------


def statement_of(uploaded_file: UploadedFile) -> Statement:
    """The file's parsed rows, period and sha256 as a :class:`~.similarity.Statement`.

    :returns: a statement; without rows when the file was never parsed (e.g.
        the same bytes were imported before, so the pipeline stopped early).
    """
    return statement_from_parsed_json(uploaded_file.parsed_json, sha256=uploaded_file.sha256 or "")


def _date(value: Any) -> dt.date | None:
    if not isinstance(value, str):
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:  # MariaDB gives the text "null" for a JSON null
        return None


# -- detection -------------------------------------------------------------------


def detect_duplicate_statements(uploaded_file: UploadedFile) -> list[StatementMerge]:
    """Suggest merges between ``uploaded_file`` and the user's statements it duplicates.

    Candidates are the user's other ``completed`` files of the same account
    (any account when the file has none) whose stated period overlaps this
    one's (widened by ``DEDUP_DATE_WINDOW_DAYS``), plus any file with the
    same bytes. Two queries fetch them: a narrow one for the periods, then
    the parsed rows of the overlapping files only. Each pair is scored with
    :func:`~.similarity.compare_statements`; above
    ``MERGE_SUGGESTION_THRESHOLD`` a ``suggested`` merge is created (the file
    with more rows, else the older, as primary) and the newer file's
    ``duplicate_of`` / ``duplicate_confidence`` point at the older one when
    the score beats what it holds.

    Each suggestion is made under a lock on the user's row, after checking
    the pair again: when another import (of the other file, at the same
    moment) suggested it meanwhile, nothing is created and that merge is not
    returned.

    :returns: the merges this call created (empty when none, or when the file
        is not completed); a merge another process created for a pair meanwhile
        is not among them.
    :raises DatabaseError: a query failed (the pipeline logs it; the import stands).
    """
    uf = uploaded_file
    if uf.status != FileStatus.COMPLETED or uf.pk is None:
        return []
    window = dt.timedelta(days=int(settings.DEDUP_DATE_WINDOW_DAYS))
    base = UploadedFile.objects.filter(user_id=uf.user_id, status=FileStatus.COMPLETED).exclude(pk=uf.pk)
    if uf.account_id is not None:
        base = base.filter(account_id=uf.account_id)
    same_bytes = Q(sha256=uf.sha256) if uf.sha256 else Q(pk__in=[])
    heads = list(
        base.filter(Q(parsed_json__isnull=False) | same_bytes).values_list(
            "pk", "sha256", KT("parsed_json__period_start"), KT("parsed_json__period_end")
        )
    )
    if not heads:  # a user's first statement (of this account): nothing to compare, nothing to build
        return []
    me = statement_of(uf)
    period = me.period()
    wanted: list[Any] = []
    for pk, sha, start, end in heads:
        if uf.sha256 and sha == uf.sha256:
            wanted.append(pk)
            continue
        if period is None:
            continue
        s, e = _date(start), _date(end)
        if s is None or e is None or (s <= period[1] + window and e >= period[0] - window):
            wanted.append(pk)  # an unknown period is checked on its rows
    if not wanted:
        return []
    paired = _existing_pairs(uf.pk)
    threshold = Decimal(str(settings.MERGE_SUGGESTION_THRESHOLD))
    created: list[StatementMerge] = []
    for other in UploadedFile.objects.filter(pk__in=[pk for pk in wanted if frozenset((uf.pk, pk)) not in paired]):
        theirs = statement_of(other)
        if not theirs.rows and not (uf.sha256 and other.sha256 == uf.sha256):
            continue
        comparison = compare_statements(me, theirs)
        if comparison.score <= threshold:
            continue
        merge = _suggest(uf, me, other, theirs, comparison.score)
        if merge is not None:
            created.append(merge)
    return created


def _existing_pairs(file_id: Any) -> set[frozenset]:
    through = StatementMerge.duplicate_files.through
    rows = through.objects.filter(
        Q(statementmerge__primary_file_id=file_id) | Q(uploadedfile_id=file_id)
    ).values_list("statementmerge__primary_file_id", "uploadedfile_id")
    return {frozenset(pair) for pair in rows}


def _pair_has_merge(a: Any, b: Any) -> bool:
    """Whether a merge, in any status, has one of the two files as primary and the other as a duplicate."""
    either_way = Q(primary_file_id=a, duplicate_files=b) | Q(primary_file_id=b, duplicate_files=a)
    return StatementMerge.objects.filter(either_way).exists()


def _age(f: UploadedFile) -> tuple:
    return (f.created_at, f.pk)


def _suggest(
    uf: UploadedFile, mine: Statement, other: UploadedFile, theirs: Statement, score: Decimal
) -> StatementMerge | None:
    """Create the suggested merge of ``uf`` and ``other``.

    :returns: the merge; None when the pair got a merge since
        :func:`_existing_pairs` was read (another import suggested it at the
        same moment).
    """
    # More rows is more complete; on a tie the older file stays primary.
    if len(mine.rows) > len(theirs.rows) or (len(mine.rows) == len(theirs.rows) and _age(uf) < _age(other)):
        primary, p_stmt, duplicate, d_stmt = uf, mine, other, theirs
    else:
        primary, p_stmt, duplicate, d_stmt = other, theirs, uf, mine
    comparison = compare_statements(p_stmt, d_stmt)
    details = comparison.explain(p_stmt, d_stmt, a_label="primary", b_label="duplicate")
    details.update(primary_file=primary.pk, duplicate_file=duplicate.pk,
                   detected_at=timezone.now().isoformat(), history=[])
    newer, older = (uf, other) if _age(uf) > _age(other) else (other, uf)
    with transaction.atomic():
        # One suggester per user at a time, then the pair is checked again. The
        # locking read comes first: a plain read after it sees what the lock's
        # previous holder committed (READ COMMITTED: each query's own snapshot;
        # InnoDB's REPEATABLE READ: the snapshot starts at the first plain read).
        lock_user(uf.user_id)
        if _pair_has_merge(uf.pk, other.pk):
            return None
        merge = StatementMerge.objects.create(
            primary_file=primary, merged_by_id=uf.user_id, merge_strategy=MergeStrategy.KEEP_PRIMARY,
            status=MergeStatus.SUGGESTED, similarity_score=score, details=details,
        )
        merge.duplicate_files.add(duplicate)
        better = Q(duplicate_confidence__isnull=True) | Q(duplicate_confidence__lt=score)
        if UploadedFile.objects.filter(better, pk=newer.pk).update(duplicate_of=older, duplicate_confidence=score):
            newer.duplicate_of, newer.duplicate_confidence = older, score
    return merge


# -- reviewing ---------------------------------------------------------------------


def merge_review(merge: StatementMerge) -> dict[str, Any]:
    """Everything a person needs to decide: the rows side by side and the duplicates' transactions.

    :returns: ``{"primary", "duplicates": [{"file", "comparison", "transactions"}]}``
        where ``comparison`` is :meth:`~.similarity.Comparison.explain` of the
        primary against that file, freshly computed, and ``transactions`` the
        duplicate file's transactions now in the ledger.
    """
    primary = merge.primary_file
    p_stmt = statement_of(primary)
    out = []
    for dup in duplicate_files(merge):
        d_stmt = statement_of(dup)
        explained = compare_statements(p_stmt, d_stmt).explain(p_stmt, d_stmt, a_label="primary",
                                                               b_label="duplicate")
        out.append({"file": dup, "comparison": explained,
                    "transactions": list(Transaction.objects.filter(uploaded_file=dup).order_by("date", "pk"))})
    return {"primary": primary, "duplicates": out}


# -- state machine ------------------------------------------------------------------


def _check_user(merge: StatementMerge, user: UserLike) -> None:
    # Not yours is "no such merge" (a 404 on every face), never "forbidden".
    if user is None or not getattr(user, "is_authenticated", False):
        raise NotYours("No such statement merge.")
    owner = UploadedFile.objects.filter(pk=merge.primary_file_id).values_list("user_id", flat=True).first()
    if owner != user.pk and not getattr(user, "is_superuser", False):
        raise NotYours("No such statement merge.")


def duplicate_files(merge: StatementMerge) -> Any:
    """The merge's duplicate files that belong to its primary file's owner (never another user's)."""
    owner = UploadedFile.objects.filter(pk=merge.primary_file_id).values("user_id")
    return merge.duplicate_files.filter(user_id__in=owner).order_by("pk")


def _history(details: dict[str, Any], *, old: str, new: str, user: UserLike, at: dt.datetime, **extra: Any) -> None:
    details.setdefault("history", []).append({"from": old, "to": new, "by": user.pk, "at": at.isoformat(), **extra})


def transition_merge(
    merge: StatementMerge,
    to_status: str,
    *,
    user: UserLike,
    remove: Iterable[Any] | None = None,
    strategy: str | None = None,
) -> StatementMerge:
    """Move ``merge`` to ``to_status``, the only way a merge's status changes.

    ``merged_by`` and ``merged_at`` record who moved it and when; ``details["history"]``
    keeps every move. Completing applies ``merge.merge_strategy`` in one
    atomic block (nothing is changed if any part fails):

    * ``keep_primary``: the duplicate files' transactions that match the
      primary's rows are removed (moved onto their twins); the rest stay and
      are listed in ``details["unmatched"]``;
    * ``merge_all``: every duplicate-file transaction that has a twin in the
      ledger is removed, the others stay: each real transaction once;
    * ``manual``: the transactions whose ids are in ``remove`` are removed.

    A transaction with user data that has no twin to carry it, or whose splits
    would clash with the twin's, is kept and listed in ``details["kept"]``.

    :param remove: ids of duplicate-file transactions to remove (``manual`` only).
    :param strategy: when completing, the strategy to apply (stored on the
        merge); default the merge's own ``merge_strategy``.
    :returns: the same instance, updated.
    :raises InvalidTransition: the move is not in :data:`ALLOWED_MERGE_TRANSITIONS`,
        or another process changed the merge meanwhile.
    :raises MergeError: ``remove`` is missing for ``manual``, given for another
        strategy, or names transactions outside the duplicate files.
    :raises NotYours: ``user`` is not the files' owner (nor a superuser): "no such merge".
    """
    _check_user(merge, user)
    old = merge.status
    InvalidTransition.check(
        ALLOWED_MERGE_TRANSITIONS, old, to_status, subject="A statement merge", final="nothing (use undo_merge)"
    )
    if strategy is not None and strategy not in MergeStrategy.values:
        raise MergeError(f"Unknown merge strategy {strategy!r}; use one of {', '.join(MergeStrategy.values)}.")
    if strategy is not None and to_status != MergeStatus.COMPLETED:
        raise MergeError("A strategy is chosen when completing a merge.")
    chosen = strategy or merge.merge_strategy
    if to_status == MergeStatus.COMPLETED:
        manual = chosen == MergeStrategy.MANUAL
        if manual and remove is None:
            raise MergeError("A manual merge needs the transactions to remove (an empty list removes none).")
        if not manual and remove is not None:
            raise MergeError(f"Choosing transactions is for the manual strategy, not {chosen!r}.")
    now = timezone.now()
    with transaction.atomic():
        locked = StatementMerge.objects.select_for_update().select_related("primary_file").get(pk=merge.pk)
        if locked.status != old:
            raise InvalidTransition(f"Statement merge #{merge.pk} is no longer {old!r}; it was changed meanwhile.")
        details = dict(locked.details or {})
        extra: dict[str, Any] = {}
        if to_status == MergeStatus.COMPLETED:
            locked.merge_strategy = chosen
            outcome = _apply(locked, user=user, remove=None if remove is None else set(remove))
            details.update(outcome)
            extra = {"strategy": locked.merge_strategy, "removed": len(outcome["removed"])}
        _history(details, old=old, new=to_status, user=user, at=now, **extra)
        StatementMerge.objects.filter(pk=merge.pk).update(
            status=to_status, merged_by=user, merged_at=now, details=details, updated_at=now,
            merge_strategy=locked.merge_strategy,
        )
    merge.status, merge.merged_by, merge.merged_at, merge.details, merge.updated_at = (
        to_status, user, now, details, now)
    merge.merge_strategy = locked.merge_strategy
    return merge


# -- completing ----------------------------------------------------------------------


def _row(tx: Transaction) -> StatementRow:
    return StatementRow(date=tx.date, description=tx.description, amount=tx.amount, bank_id=tx.bank_id)


def _brief(tx: Transaction) -> dict[str, Any]:
    return {"id": tx.pk, "date": tx.date.isoformat(), "amount": str(tx.amount),
            "description": tx.description[:200], "file": tx.uploaded_file_id}


def _apply(merge: StatementMerge, *, user: UserLike, remove: set[Any] | None) -> dict[str, Any]:
    """Apply the strategy for ``user``; the caller holds the transaction. :returns: the details to store."""
    primary = merge.primary_file
    p_rows = statement_of(primary).rows
    duplicates = list(duplicate_files(merge))
    by_file = {
        dup.pk: list(Transaction.objects.filter(uploaded_file=dup, user_id=primary.user_id).order_by("date", "pk"))
        for dup in duplicates
    }
    if remove is not None:
        known = {tx.pk for txs in by_file.values() for tx in txs}
        strangers = {str(pk) for pk in remove} - {str(pk) for pk in known}
        if strangers:
            raise MergeError(
                f"Transactions {', '.join(sorted(strangers))} are not in this merge's duplicate files; "
                "choose among the listed ones."
            )
        remove = {str(pk) for pk in remove}
    unmatched: list[dict[str, Any]] = []
    plan: list[tuple[Transaction, str]] = []  # (transaction, why it goes)
    for dup in duplicates:
        txs = by_file[dup.pk]
        if merge.merge_strategy == MergeStrategy.KEEP_PRIMARY:
            matching = match_statement_rows([_row(t) for t in txs], p_rows)
            plan += [(txs[p.a], f"matches primary row {p.b} ({p.tier})") for p in matching.pairs]
            unmatched += [_brief(txs[i]) for i in matching.only_a]
        elif merge.merge_strategy == MergeStrategy.MERGE_ALL:
            plan += [(tx, "duplicated in the ledger") for tx in txs]
        else:
            plan += [(tx, "chosen by the user") for tx in txs if str(tx.pk) in (remove or set())]
    twins = _find_twins([tx for tx, _ in plan], primary_file_id=primary.pk, primary_account_id=primary.account_id)
    removed: list[dict[str, Any]] = []
    kept: list[dict[str, Any]] = []
    moved: dict[str, list] = {"splits": [], "mentions": [], "chat_messages": [], "fields": []}
    touched = _touch_map([tx for tx, _ in plan])
    split_owners = set(TransactionSplit.objects.filter(
        transaction_id__in=[t.pk for t in twins.values() if t is not None]).values_list("transaction_id", flat=True))
    doomed: list[Transaction] = []
    for tx, why in plan:
        twin = twins.get(tx.pk)
        info = touched[tx.pk]
        if twin is None:
            if merge.merge_strategy == MergeStrategy.MERGE_ALL:
                continue  # no twin: a real transaction of its own, part of the union
            if merge.merge_strategy == MergeStrategy.KEEP_PRIMARY or info["touched"]:
                kept.append({**_brief(tx), "reason": "no other copy in the ledger" if not info["touched"]
                             else "it has user data and no twin to carry it"})
                continue
        elif info["splits"] and twin.pk in split_owners:
            kept.append({**_brief(tx), "twin": twin.pk,
                         "reason": "both it and its twin have splits; resolve them by hand"})
            continue
        record = _serialise_removed(tx, twin=twin, why=why)
        if twin is not None:
            _move_onto(tx, twin, info, moved)
            if info["splits"]:
                split_owners.add(twin.pk)
        removed.append(record)
        doomed.append(tx)
    # What moved is no longer on the transaction: store only what the delete takes.
    for record in removed:
        pk = record["transaction"]["id"]
        record["splits"] = _dump(TransactionSplit.objects.filter(transaction_id=pk))
        record["mentions"] = _dump(TransactionMention.objects.filter(transaction_id=pk))
        record["chat_messages"] = list(ChatMessage.objects.filter(related_transaction_id=pk).values_list("pk", flat=True))
    ledger.delete_transactions(user, doomed)
    return {
        "strategy_applied": merge.merge_strategy,
        "removed": removed,
        "moved": moved,
        "kept": kept,
        "unmatched": unmatched,
        "completed_summary": {"removed": len(removed), "kept": len(kept), "unmatched": len(unmatched)},
    }


def _find_twins(
    txs: list[Transaction], *, primary_file_id: Any, primary_account_id: Any
) -> dict[Any, Transaction | None]:
    """``{transaction id: its twin or None}``: the same transaction elsewhere in the ledger.

    One query per account: same user and date range, in the transaction's
    account or the primary file's (a file imported without an account
    duplicates one with), not one of ``txs``; the primary file's come first.
    """
    result: dict[Any, Transaction | None] = {tx.pk: None for tx in txs}
    going = {tx.pk for tx in txs}
    by_account: dict[Any, list[Transaction]] = defaultdict(list)
    for tx in txs:
        by_account[tx.account_id].append(tx)
    for account_id, group in by_account.items():
        qs = Transaction.objects.filter(
            user_id=group[0].user_id, date__range=(min(t.date for t in group), max(t.date for t in group))
        )
        where = Q()
        for acc in {account_id, primary_account_id}:
            where |= Q(account_id=acc) if acc is not None else Q(account__isnull=True)
        candidates = [t for t in qs.filter(where).order_by("date", "pk") if t.pk not in going]
        candidates.sort(key=lambda t: t.uploaded_file_id != primary_file_id)  # stable: primary's first
        matching = match_statement_rows([_row(t) for t in group], [_row(t) for t in candidates])
        for pair in matching.pairs:
            result[group[pair.a].pk] = candidates[pair.b]
    return result


def _touch_map(txs: list[Transaction]) -> dict[Any, dict[str, Any]]:
    ids = [tx.pk for tx in txs]
    splits = set(TransactionSplit.objects.filter(transaction_id__in=ids).values_list("transaction_id", flat=True))
    mentions = set(TransactionMention.objects.filter(transaction_id__in=ids).values_list("transaction_id", flat=True))
    chats = set(ChatMessage.objects.filter(related_transaction_id__in=ids).values_list("related_transaction_id",
                                                                                       flat=True))
    out = {}
    for tx in txs:
        fields = (any(getattr(tx, name) for name in _COPIED_FIELDS + _FLAG_FIELDS)
                  or tx.expense_classification != _DEFAULT_CLASS or tx.exclusion_overridden)
        out[tx.pk] = {"splits": tx.pk in splits, "mentions": tx.pk in mentions, "chats": tx.pk in chats,
                      "touched": bool(fields or tx.pk in splits or tx.pk in mentions or tx.pk in chats)}
    return out


def _move_onto(tx: Transaction, twin: Transaction, info: dict[str, Any], moved: dict[str, list]) -> None:
    """Carry ``tx``'s user data onto ``twin``, recording each move for :func:`undo_merge`."""
    changes: dict[str, Any] = {}
    for name in _COPIED_FIELDS:
        if getattr(tx, name) and not getattr(twin, name):
            changes[name] = getattr(tx, name)
    for name in _FLAG_FIELDS:
        if getattr(tx, name) and not getattr(twin, name):
            changes[name] = True
    if tx.expense_classification != _DEFAULT_CLASS and twin.expense_classification == _DEFAULT_CLASS:
        changes["expense_classification"] = tx.expense_classification
    if tx.exclusion_overridden and not twin.exclusion_overridden:
        changes["exclude_from_totals"] = tx.exclude_from_totals  # a person's choice: the writer keeps it as one
    if changes:
        # The writer applies the exclusion rule: record what it wrote, not what was asked.
        watched = list(dict.fromkeys([*changes, "exclude_from_totals", "exclusion_overridden"]))
        old = {name: getattr(twin, name) for name in watched}
        ledger.update_transaction(twin, **changes)
        new = {name: getattr(twin, name) for name in watched if getattr(twin, name) != old[name]}
        moved["fields"].append({"transaction": twin.pk, "from": tx.pk,
                                "old": _plain_values({name: old[name] for name in new}),
                                "new": _plain_values(new)})
    for key, model, fk in (("splits", TransactionSplit, "transaction_id"),
                           ("mentions", TransactionMention, "transaction_id"),
                           ("chat_messages", ChatMessage, "related_transaction_id")):
        ids = list(model.objects.filter(**{fk: tx.pk}).values_list("pk", flat=True))
        if ids:
            model.objects.filter(pk__in=ids).update(**{fk: twin.pk})
            moved[key] += [[pk, tx.pk, twin.pk] for pk in ids]


# -- serialising ------------------------------------------------------------------------


def _plain_values(values: dict[str, Any]) -> dict[str, Any]:
    return {name: stored_rows.plain(value) for name, value in values.items()}


def _dump(qs: models.QuerySet) -> list[dict[str, Any]]:
    return [stored_rows.row_values(obj) for obj in qs.order_by("pk")]


def _serialise_removed(tx: Transaction, *, twin: Transaction | None, why: str) -> dict[str, Any]:
    return {"transaction": stored_rows.row_values(tx), "twin": twin.pk if twin is not None else None, "reason": why}


def _restore_transactions(merge: StatementMerge, records: list[dict[str, Any]]) -> None:
    """Put the removed transactions back through the ledger's writer, with their ids and timestamps."""
    try:
        ledger.restore_transactions(
            merge.primary_file.user, [stored_rows.from_values(Transaction, r) for r in records]
        )
    except OwnershipError as err:
        raise MergeError(
            f"A removed transaction cannot be put back: its {err.field or 'owner'} is gone or no longer "
            "the user's to use."
        ) from err
    except IntegrityError as err:
        raise MergeError(
            "A transaction cannot be put back: its id or a unique value is taken again since the merge."
        ) from err


def _rebuild(model: type[models.Model], records: list[dict[str, Any]]) -> None:
    """Insert ``records`` with their original ids and timestamps."""
    if not records:
        return
    objects = [stored_rows.from_values(model, r) for r in records]
    try:
        with transaction.atomic():
            stored_rows.insert_as_stored(objects)
    except IntegrityError as err:
        raise MergeError(
            f"A {model._meta.verbose_name} cannot be put back: its id or a unique value is taken again "
            "since the merge."
        ) from err


# -- undo and purge ----------------------------------------------------------------------


def undo_merge(merge: StatementMerge, *, user: UserLike) -> StatementMerge:
    """Undo a completed merge: removed transactions come back with their ids, moved
    splits, mentions and chat messages go back, fields copied onto twins are
    reset where nobody changed them since; the merge returns to ``approved``.

    :returns: the same instance, updated.
    :raises InvalidTransition: the merge is not ``completed``.
    :raises MergeError: its stored copies were purged, or an id is taken again.
    :raises NotYours: ``user`` is not the files' owner (nor a superuser): "no such merge".
    """
    _check_user(merge, user)
    if merge.status != MergeStatus.COMPLETED:
        raise InvalidTransition(f"Only a completed merge can be undone; merge #{merge.pk} is {merge.status!r}.")
    now = timezone.now()
    with transaction.atomic():
        locked = StatementMerge.objects.select_for_update().get(pk=merge.pk)
        if locked.status != MergeStatus.COMPLETED:
            raise InvalidTransition(f"Statement merge #{merge.pk} is no longer completed.")
        details = dict(locked.details or {})
        if details.get("purged_at") or "removed" not in details:
            raise MergeError(
                f"Statement merge #{merge.pk} cannot be undone: its removed transactions were purged."
            )
        removed = details.pop("removed")
        moved = details.pop("moved", {})
        _restore_transactions(locked, [r["transaction"] for r in removed])
        _rebuild(TransactionSplit, [s for r in removed for s in r.get("splits", ())])
        _rebuild(TransactionMention, [m for r in removed for m in r.get("mentions", ())])
        for key, model, fk in (("splits", TransactionSplit, "transaction_id"),
                               ("mentions", TransactionMention, "transaction_id"),
                               ("chat_messages", ChatMessage, "related_transaction_id")):
            for pk, source, target in moved.get(key, ()):
                model.objects.filter(pk=pk, **{fk: target}).update(**{fk: source})
        for record in removed:
            ChatMessage.objects.filter(pk__in=record.get("chat_messages", ()), related_transaction__isnull=True) \
                .update(related_transaction_id=record["transaction"]["id"])
        not_reset = _reset_fields(moved.get("fields", ()))
        for key in ("kept", "unmatched", "completed_summary", "strategy_applied"):
            details.pop(key, None)
        _history(details, old=MergeStatus.COMPLETED, new=MergeStatus.APPROVED, user=user, at=now,
                 undo=True, restored=len(removed), fields_not_reset=not_reset)
        StatementMerge.objects.filter(pk=merge.pk).update(
            status=MergeStatus.APPROVED, merged_by=user, merged_at=now, details=details, updated_at=now
        )
    merge.status, merge.merged_by, merge.merged_at, merge.details, merge.updated_at = (
        MergeStatus.APPROVED, user, now, details, now)
    return merge


def _reset_fields(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Give twins back their old values, field by field, unless changed since the merge."""
    not_reset = []
    fields = {f.attname: f for f in stored_rows.stored_fields(Transaction)}
    for record in reversed(list(records)):
        twin = Transaction.objects.filter(pk=record["transaction"]).first()
        if twin is None:
            not_reset.append({"transaction": record["transaction"], "fields": sorted(record["new"])})
            continue
        updates, skipped = {}, []
        for name, new in record["new"].items():
            if getattr(twin, name) == stored_rows.field_value(fields[name], new):
                updates[name] = stored_rows.field_value(fields[name], record["old"][name])
            else:
                skipped.append(name)
        if updates:
            if "exclude_from_totals" in updates and "exclusion_overridden" not in updates:
                updates["exclusion_overridden"] = twin.exclusion_overridden  # a reset, not a person's choice
            ledger.update_transaction(twin, **updates)
        if skipped:
            not_reset.append({"transaction": twin.pk, "fields": skipped})
    return not_reset


def purge_merge(merge: StatementMerge, *, user: UserLike | None = None) -> int:
    """Forget the stored copies of a completed merge's removed transactions (no undo after).

    :param user: when given, must own the files (or be a superuser).
    :returns: how many stored transaction copies were dropped.
    :raises InvalidTransition: the merge is not ``completed``.
    :raises NotYours: ``user`` is not the files' owner (nor a superuser): "no such merge".
    """
    if user is not None:
        _check_user(merge, user)
    with transaction.atomic():
        locked = StatementMerge.objects.select_for_update().get(pk=merge.pk)
        if locked.status != MergeStatus.COMPLETED:
            raise InvalidTransition(f"Only a completed merge can be purged; merge #{merge.pk} is {locked.status!r}.")
        details = dict(locked.details or {})
        dropped = len(details.pop("removed", None) or ())
        details.pop("moved", None)
        details["purged_at"] = timezone.now().isoformat()
        details["purged"] = dropped
        StatementMerge.objects.filter(pk=merge.pk).update(details=details, updated_at=timezone.now())
    merge.details = details
    return dropped


# -- editing (the faces call these) ------------------------------------------------


def choose_merge_strategy(user: UserLike, merge: Any, strategy: str) -> Any:
    """Set the strategy a merge will be completed with (before it is completed).

    :returns: the merge.
    :raises NotYours: another user's merge.
    :raises InvalidTransition: the merge is already completed or rejected.
    :raises MergeError: an unknown strategy.
    """
    from ..exceptions import InvalidTransition, MergeError
    from ..models import MergeStatus, MergeStrategy, StatementMerge

    ownership.owned(user, merge)
    if strategy not in MergeStrategy.values:
        raise MergeError(f"Unknown merge strategy {strategy!r}; use one of {', '.join(MergeStrategy.values)}.")
    if merge.status not in (MergeStatus.SUGGESTED, MergeStatus.APPROVED):
        raise InvalidTransition(f"Statement merge #{merge.pk} is {merge.status!r}; its strategy cannot change.")
    StatementMerge.objects.filter(pk=merge.pk).update(merge_strategy=strategy)
    merge.merge_strategy = strategy
    return merge
