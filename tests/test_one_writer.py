"""One writer of transactions (``ledger/writer.py``): every path writes through it.

The guard below records who writes a ``Transaction`` row (a save, a queryset
update or delete, a bulk insert) and fails when the package code doing it is
not the writer. The flows cover the paths that write: import and review,
chat, editing, splits, merges and their undo, the admin. The other tests check
what the writer promises on the paths that used to write around it: signals
for every row and fresh cached reports.
"""

from __future__ import annotations

import datetime as dt
import inspect
from decimal import Decimal
from pathlib import Path

import pytest
from django.db.models.signals import post_delete, post_save
from django.urls import reverse

import django_expense_ai
from django_expense_ai.chat import submit_message
from django_expense_ai.exceptions import MergeError, NotYours, OwnershipError, UnexpectedField
from django_expense_ai.ledger import editing, writer
from django_expense_ai.ledger.reports import _monthly_totals, monthly_totals
from django_expense_ai.ledger.splits import apply_split, update_transaction_amount
from django_expense_ai.models import (
    Account,
    Category,
    Group,
    GroupMember,
    StatementMerge,
    Transaction,
    bulk,
    querysets,
)
from django_expense_ai.statements import import_statement
from django_expense_ai.statements.merges import transition_merge, undo_merge
from django_expense_ai.statements.review import commit_review

from .test_merges import BASE, REWORDED, csv, load

pytestmark = pytest.mark.django_db

PACKAGE = Path(django_expense_ai.__file__).parent
WRITER = PACKAGE / "ledger" / "writer.py"
MODELS = PACKAGE / "models"


@pytest.fixture
def account(user):
    return Account.objects.create(user=user, name="Current", currency="EUR")


@pytest.fixture
def writers(monkeypatch):
    """The package modules that wrote transaction rows, innermost caller outside ``models/`` first."""
    seen: list[str] = []

    def who() -> None:
        frame = inspect.currentframe()
        while frame is not None:
            path = Path(frame.f_code.co_filename)
            if path.is_relative_to(PACKAGE) and not path.is_relative_to(MODELS):
                seen.append(str(path.relative_to(PACKAGE)))
                return
            frame = frame.f_back
        # Test code writing its own fixtures: not the package's business.

    def watch(owner, name, *, only_transactions=False):
        real = getattr(owner, name)

        def wrapper(*args, **kwargs):
            target = args[0] if args else None
            model = getattr(target, "model", type(target))
            if not only_transactions or model is Transaction or (
                    isinstance(target, list | tuple) and target and isinstance(target[0], Transaction)):
                who()
            return real(*args, **kwargs)

        monkeypatch.setattr(owner, name, wrapper)

    for name in ("save_base", "delete"):
        watch(Transaction, name)
    for name in ("update", "delete", "bulk_create", "bulk_update"):
        watch(querysets.TransactionQuerySet, name)
    watch(bulk, "insert_all", only_transactions=True)
    return seen


def _outside(seen):
    return sorted({path for path in seen if path != "ledger/writer.py"})


def _reworded_download(user, account):
    first = load(user, csv(BASE), "march.csv", account)
    rows = [(d, amt, REWORDED.get(i, desc)) for i, (d, amt, desc) in enumerate(BASE)]
    second = load(user, csv(rows), "march-again.csv", account)
    return first, second


# -- the guard ---------------------------------------------------------------------------


def test_the_guard_sees_a_write_around_the_writer(writers, user):
    new = Transaction(user=user, date=dt.date(2025, 1, 2), amount=Decimal("-1"))
    [tx] = writer.create_transactions(user, [new], one_by_one=True).transactions
    assert writers == ["ledger/writer.py"]
    # Code compiled as another module of the package, saving a transaction itself.
    namespace: dict = {}
    exec(compile("def write(tx):\n    tx.save()\n", str(PACKAGE / "ledger" / "reports.py"), "exec"), namespace)
    namespace["write"](tx)
    assert _outside(writers) == ["ledger/reports.py"]


def test_imports_reviews_chat_and_editing_write_through_the_writer(writers, user, other_user, account):
    _reworded_download(user, account)
    held = import_statement(user, csv([(dt.date(2024, 5, 1), "-3.00", "Held for review")]), filename="may.csv",
                            account=account, review=True)
    commit_review(user, held)
    submit_message(user, "$9.99 cinema")
    GroupMember.objects.create(group=_group(user), user=other_user)
    tx = editing.save_transaction(user, date=dt.date(2024, 5, 2), amount=Decimal("-20.00"), currency="EUR",
                                  description="Dinner", split={"participants": [user, other_user]})
    food = Category.objects.create(user=user, key="food", name="Food")
    editing.save_transaction(user, tx, amount=Decimal("-30.00"), category=food, expense_classification="one_time",
                             exclude_from_totals=False, notes="with Ann")
    update_transaction_amount(tx, Decimal("-31.00"))
    apply_split(tx, [user, other_user], "shares", [1, 2])
    editing.classify_transactions(user, [tx.pk], "regular_monthly")
    editing.delete_transaction(user, tx)
    assert writers and _outside(writers) == []


def test_merges_and_their_undo_write_through_the_writer(writers, user, account):
    first, second = _reworded_download(user, account)
    dupe = Transaction.objects.filter(uploaded_file=second).order_by("date").first()
    writer.update_transaction(dupe, expense_classification="reimbursable", notes="returned")
    merge = transition_merge(StatementMerge.objects.get(), "approved", user=user)
    transition_merge(merge, "completed", user=user)
    undo_merge(merge, user=user)
    transition_merge(merge, "completed", user=user, strategy="merge_all")
    assert writers and _outside(writers) == []


def test_the_admin_writes_through_the_writer(writers, admin_client, user):
    txs = [Transaction.objects.create(user=user, date=dt.date(2024, 6, d), amount=Decimal("-5"), currency="EUR")
           for d in (1, 2, 3)]
    change = reverse("admin:expense_ai_transaction_change", args=[txs[0].pk])
    data = {"user": user.pk, "date": "2024-06-01", "amount": "-6.00", "currency": "EUR", "source": "manual",
            "expense_classification": "one_time", "description": "edited",
            **{f"{prefix}-{key}": "0" for prefix in ("splits", "mentions") for key in ("TOTAL_FORMS", "INITIAL_FORMS")}}
    assert admin_client.post(change, data).status_code == 302
    assert admin_client.post(reverse("admin:expense_ai_transaction_add"), {**data, "date": "2024-06-09"}).status_code \
        == 302
    assert admin_client.post(reverse("admin:expense_ai_transaction_delete", args=[txs[1].pk]),
                             {"post": "yes"}).status_code == 302
    assert admin_client.post(reverse("admin:expense_ai_transaction_changelist"),
                             {"action": "delete_selected", "_selected_action": [txs[2].pk], "post": "yes"}
                             ).status_code == 302
    edited = Transaction.objects.get(pk=txs[0].pk)
    assert (edited.amount, edited.description, edited.exclude_from_totals) == (Decimal("-6.00"), "edited", True)
    assert Transaction.objects.filter(user=user).count() == 2
    assert writers and _outside(writers) == []


def _group(user):
    return Group.objects.create(name="Pair", created_by=user)


# -- what the writer promises on the merge paths ----------------------------------------------


@pytest.fixture
def heard():
    """``(signal, pk, details)`` for every transaction ``post_save``/``post_delete``."""
    events: list[tuple] = []

    def saved(sender, instance, created, raw, update_fields, **kwargs):
        events.append(("saved", instance.pk, {"created": created, "raw": raw,
                                              "fields": set(update_fields or ())}))

    def deleted(sender, instance, **kwargs):
        events.append(("deleted", instance.pk, {}))

    post_save.connect(saved, sender=Transaction, dispatch_uid="test_one_writer_saved")
    post_delete.connect(deleted, sender=Transaction, dispatch_uid="test_one_writer_deleted")
    yield events
    post_save.disconnect(sender=Transaction, dispatch_uid="test_one_writer_saved")
    post_delete.disconnect(sender=Transaction, dispatch_uid="test_one_writer_deleted")


def test_a_merge_and_its_undo_tell_receivers_about_every_row(heard, user, account):
    first, second = _reworded_download(user, account)
    dupes = list(Transaction.objects.filter(uploaded_file=second).order_by("date"))
    writer.update_transaction(dupes[0], expense_classification="reimbursable")
    twin = Transaction.objects.get(uploaded_file=first, date=dupes[0].date)
    merge = transition_merge(StatementMerge.objects.get(), "approved", user=user)
    heard.clear()
    transition_merge(merge, "completed", user=user)
    assert sorted(pk for kind, pk, _ in heard if kind == "deleted") == sorted(t.pk for t in dupes)
    [(_, _, moved)] = [e for e in heard if e[:2] == ("saved", twin.pk)]
    assert {"expense_classification", "exclude_from_totals"} <= moved["fields"]

    heard.clear()
    undo_merge(merge, user=user)
    restored = {pk: info for kind, pk, info in heard if kind == "saved" and info["created"]}
    assert sorted(restored) == sorted(t.pk for t in dupes)
    assert all(info["raw"] for info in restored.values())  # as stored: nothing re-derived
    [(_, _, reset)] = [e for e in heard if e[:2] == ("saved", twin.pk)]
    assert "expense_classification" in reset["fields"]
    twin.refresh_from_db()
    assert (twin.expense_classification, twin.exclude_from_totals, twin.exclusion_overridden) == (
        "regular_monthly", False, False)


def test_cached_reports_follow_a_merge_and_its_undo(user, account):
    first, second = _reworded_download(user, account)
    dupe = Transaction.objects.filter(uploaded_file=second).order_by("date").first()
    writer.update_transaction(dupe, expense_classification="one_time")
    merge = transition_merge(StatementMerge.objects.get(), "approved", user=user)
    monthly_totals(user, 2024, 3)  # cached
    transition_merge(merge, "completed", user=user)
    assert monthly_totals(user, 2024, 3) == _monthly_totals(user.pk, 2024, 3)
    undo_merge(merge, user=user)
    assert monthly_totals(user, 2024, 3) == _monthly_totals(user.pk, 2024, 3)
    assert Transaction.objects.filter(uploaded_file=second).count() == 3


def test_an_override_moved_onto_a_twin_stays_an_override_and_undoes(user, account):
    first, second = _reworded_download(user, account)
    dupe = Transaction.objects.filter(uploaded_file=second).order_by("date").first()
    writer.set_exclusion(dupe, True)
    twin = Transaction.objects.get(uploaded_file=first, date=dupe.date)
    merge = transition_merge(StatementMerge.objects.get(), "approved", user=user)
    transition_merge(merge, "completed", user=user)
    twin.refresh_from_db()
    assert (twin.exclude_from_totals, twin.exclusion_overridden) == (True, True)
    undo_merge(merge, user=user)
    twin.refresh_from_db()
    assert (twin.exclude_from_totals, twin.exclusion_overridden) == (False, False)


def test_an_undo_whose_category_is_gone_fails_cleanly(user, account):
    first, second = _reworded_download(user, account)
    dupe = Transaction.objects.filter(uploaded_file=second).order_by("date").first()
    gone = Category.objects.create(user=user, key="gone", name="Gone")
    writer.update_transaction(dupe, category=gone)
    merge = transition_merge(StatementMerge.objects.get(), "approved", user=user)
    transition_merge(merge, "completed", user=user, strategy="manual", remove=[dupe.pk])
    merge.refresh_from_db()
    assert [r["transaction"]["category_id"] for r in merge.details["removed"]] == [gone.pk]
    gone.delete()
    with pytest.raises(MergeError, match="category is gone"):
        undo_merge(merge, user=user)
    assert not Transaction.objects.filter(pk=dupe.pk).exists()  # nothing half-restored


# -- the writer's own checks -------------------------------------------------------------------


def test_update_transaction_refuses_what_it_does_not_change(user):
    tx = Transaction.objects.create(user=user, date=dt.date(2025, 1, 2), amount=Decimal("-1"))
    for bad in ({"id": 5}, {"created_at": None}, {"splits": []}, {"colour": "red"}):
        with pytest.raises(UnexpectedField):
            writer.update_transaction(tx, **bad)


def test_update_transaction_checks_the_links_it_sets(user, other_user):
    tx = Transaction.objects.create(user=user, date=dt.date(2025, 1, 2), amount=Decimal("-1"))
    theirs = Category.objects.create(user=other_user, key="theirs", name="Theirs")
    with pytest.raises(OwnershipError):
        writer.update_transaction(tx, category=theirs, notes="never saved")
    assert Transaction.objects.get(pk=tx.pk).notes == ""
    mine = Category.objects.create(user=user, key="mine", name="Mine")
    writer.update_transaction(tx, category=mine, notes="mine")
    with pytest.raises(OwnershipError):
        writer.update_transaction(tx, user=other_user)  # a new owner: every link is checked again
    writer.update_transaction(tx, category_id=None, notes="emptied")  # emptying a link needs no check
    assert Transaction.objects.filter(pk=tx.pk, user=user, category=None, notes="emptied").exists()


def test_delete_transactions_is_all_or_nothing(user, other_user):
    mine = Transaction.objects.create(user=user, date=dt.date(2025, 1, 2), amount=Decimal("-1"))
    theirs = Transaction.objects.create(user=other_user, date=dt.date(2025, 1, 2), amount=Decimal("-1"))
    with pytest.raises(NotYours):
        writer.delete_transactions(user, [mine, theirs])
    assert Transaction.objects.filter(pk__in=[mine.pk, theirs.pk]).count() == 2
    assert writer.delete_transactions(user, [mine]) == 1
