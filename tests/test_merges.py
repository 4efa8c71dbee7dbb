"""Duplicate statements: detection after import, the merge state machine, strategies, undo."""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal

import pytest
from django.test import override_settings
from django.urls import reverse

from django_expense_ai.exceptions import InvalidTransition, MergeError, NotYours
from django_expense_ai.models import (
    Account,
    Category,
    ChatMessage,
    StatementMerge,
    Transaction,
    TransactionMention,
    TransactionSplit,
    UploadedFile,
)
from django_expense_ai.statements import import_statement, reprocess
from django_expense_ai.statements.merges import (
    detect_duplicate_statements,
    purge_merge,
    transition_merge,
    undo_merge,
)

pytestmark = pytest.mark.django_db

START = dt.date(2024, 3, 1)
#: 20 distinct card payments over March.
BASE = [(START + dt.timedelta(days=i), f"-{12 + i}.{i:02d}", f"Card payment shop {i}") for i in range(20)]
#: Wording a later download uses for three of them: too different for the row de-dup's fuzzy match.
REWORDED = {3: "AMZN Mktp UK*2K3", 7: "PAYPAL *XYZ 88", 11: "SQ *FOOD TRUCK"}


def ofx(rows, *, ids, start="20240301", end="20240331"):
    trns = "".join(
        f"<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>{d:%Y%m%d}<TRNAMT>{amt}<FITID>{fid}<NAME>{desc}</STMTTRN>"
        for (d, amt, desc), fid in zip(rows, ids, strict=True)
    )
    return (
        "OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\n\n<OFX><BANKMSGSRSV1><STMTTRNRS><STMTRS><CURDEF>EUR"
        "<BANKACCTFROM><BANKID>1<ACCTID>12345678<ACCTTYPE>CHECKING</BANKACCTFROM>"
        f"<BANKTRANLIST><DTSTART>{start}<DTEND>{end}{trns}</BANKTRANLIST>"
        "</STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>\n"
    ).encode()


def csv(rows):
    lines = ["Date,Description,Amount"] + [f"{d.isoformat()},{desc},{amt}" for d, amt, desc in rows]
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture
def account(user):
    return Account.objects.create(user=user, name="Current", currency="EUR")


def load(user, data, name, account):
    uf = import_statement(user, data, filename=name, account=account)
    assert uf.status == "completed", uf.error_message
    return uf


def reworded_download(user, account):
    """The March statement, then a second download with three rows worded differently."""
    first = load(user, csv(BASE), "march.csv", account)
    rows = [(d, amt, REWORDED.get(i, desc)) for i, (d, amt, desc) in enumerate(BASE)]
    second = load(user, csv(rows), "march-again.csv", account)
    assert len(second.created_transactions) == 3  # the row de-dup missed these
    return first, second


def ledger(user, account):
    return sorted((t.date, t.amount) for t in Transaction.objects.filter(user=user, account=account))


# -- detection ---------------------------------------------------------------------------


def test_two_downloads_with_different_bank_ids_are_suggested_and_merge_to_one_set(user, account):
    first = load(user, ofx(BASE, ids=[f"JAN-{i}" for i in range(20)]), "a.ofx", account)
    second = load(user, ofx(BASE, ids=[f"NEW-{i}" for i in range(20)]), "b.ofx", account)
    merge = StatementMerge.objects.get()
    assert merge.status == "suggested" and merge.primary_file == first
    assert list(merge.duplicate_files.all()) == [second]
    assert merge.similarity_score == Decimal("100.00")
    assert merge.details["parts"]["rows"]["by_tier"] == {"exact": 20}
    assert len(merge.details["matched"]) == 20 and merge.details["only_in_duplicate"] == []
    second.refresh_from_db()
    assert second.duplicate_of == first and second.duplicate_confidence == Decimal("100.00")
    transition_merge(merge, "approved", user=user)
    transition_merge(merge, "completed", user=user)
    assert ledger(user, account) == sorted((d, Decimal(a)) for d, a, _ in BASE)


def test_shared_bank_ids_but_different_transactions_are_not_suggested(user, account):
    load(user, ofx(BASE, ids=[f"ID-{i}" for i in range(20)]), "a.ofx", account)
    april = [(d + dt.timedelta(days=31), f"-{Decimal(a[1:]) + 7}", f"Other {i}") for i, (d, a, _) in enumerate(BASE)]
    second = load(user, ofx(april, ids=[f"ID-{i}" for i in range(20)], start="20240401", end="20240430"),
                  "b.ofx", account)
    assert len(second.created_transactions) == 20
    assert not StatementMerge.objects.exists()
    # Even forced to compare (no period filter, threshold 0), the ids alone match nothing.
    with override_settings(EXPENSE_AI={"MERGE_SUGGESTION_THRESHOLD": 0, "DEDUP_DATE_WINDOW_DAYS": 400}):
        merge = detect_duplicate_statements(second)[0]
    assert merge.details["matched"] == [] and merge.similarity_score < 20


def test_identical_bytes_score_100(user, account):
    data = csv(BASE)
    first = load(user, data, "m.csv", account)
    again = load(user, data, "m-copy.csv", account)
    merge = StatementMerge.objects.get()
    assert merge.similarity_score == 100 and merge.details["identical_bytes"] is True
    assert merge.primary_file == first and list(merge.duplicate_files.all()) == [again]


def test_reworded_download_is_suggested_with_an_explanation(user, account):
    first, second = reworded_download(user, account)
    merge = StatementMerge.objects.get()
    assert merge.primary_file == first
    parts = merge.details["parts"]
    assert parts["rows"]["by_tier"] == {"exact": 17, "same_day": 3}
    assert Decimal(merge.details["score"]) == merge.similarity_score
    assert Decimal("80") < merge.similarity_score < 100
    same_day = [m for m in merge.details["matched"] if m["tier"] == "same_day"]
    assert sorted(m["duplicate"]["description"] for m in same_day) == sorted(REWORDED.values())


def test_other_accounts_and_users_are_not_compared(user, other_user, account):
    load(user, csv(BASE), "m.csv", account)
    savings = Account.objects.create(user=user, name="Savings", currency="EUR")
    load(user, ofx(BASE, ids=[f"S{i}" for i in range(20)]), "m2.ofx", savings)
    theirs = Account.objects.create(user=other_user, name="Theirs", currency="EUR")
    load(other_user, csv(BASE), "m3.csv", theirs)
    assert StatementMerge.objects.count() == 0
    load(user, csv(BASE[:15]), "part.csv", savings)
    (merge,) = StatementMerge.objects.all()
    assert merge.primary_file.account == savings and merge.primary_file.filename == "m2.ofx"


def test_without_an_account_all_the_users_files_are_compared(user, account):
    first = load(user, ofx(BASE, ids=[f"X{i}" for i in range(20)]), "a.ofx", account)
    loose = load(user, csv(BASE), "loose.csv", None)
    assert len(loose.created_transactions) == 20  # the row de-dup looks in the same (no) account only
    merge = StatementMerge.objects.get()
    assert merge.primary_file == first and list(merge.duplicate_files.all()) == [loose]
    transition_merge(merge, "approved", user=user)
    transition_merge(merge, "completed", user=user)
    assert not Transaction.objects.filter(uploaded_file=loose).exists()
    assert Transaction.objects.filter(user=user).count() == 20


def test_threshold_and_older_or_more_complete_primary(user, account):
    half = load(user, csv(BASE[:10]), "half.csv", account)
    with override_settings(EXPENSE_AI={"MERGE_SUGGESTION_THRESHOLD": 99}):
        full = load(user, csv(BASE), "full.csv", account)
    assert not StatementMerge.objects.exists()
    (merge,) = detect_duplicate_statements(full)  # default threshold 80
    assert merge.primary_file == full and list(merge.duplicate_files.all()) == [half]
    assert merge.details["parts"]["rows"]["value"] == "1.0000"


def test_rejected_pair_is_not_suggested_again(user, account):
    first, second = reworded_download(user, account)
    merge = StatementMerge.objects.get()
    transition_merge(merge, "rejected", user=user)
    reprocess(second)
    assert detect_duplicate_statements(first) == []
    assert list(StatementMerge.objects.values_list("status", flat=True)) == ["rejected"]


def test_detection_failure_is_logged_and_the_import_stands(user, account, monkeypatch, caplog):
    from django_expense_ai.statements import merges

    def boom(uploaded_file):
        raise RuntimeError("detector broke")

    # The built-in statement_processed plugin (statements/duplicates.py) calls it.
    monkeypatch.setattr(merges, "detect_duplicate_statements", boom)
    with caplog.at_level(logging.ERROR):
        uf = load(user, csv(BASE), "m.csv", account)
    assert uf.status == "completed" and len(uf.created_transactions) == 20
    assert "Duplicate statement detection failed" in caplog.text


# -- state machine ---------------------------------------------------------------------------


def test_transitions_are_checked_and_recorded(user, other_user, account):
    reworded_download(user, account)
    merge = StatementMerge.objects.get()
    with pytest.raises(InvalidTransition):
        transition_merge(merge, "completed", user=user)
    with pytest.raises(NotYours):  # another user's merge does not exist for them
        transition_merge(merge, "approved", user=other_user)
    transition_merge(merge, "approved", user=user)
    merge.refresh_from_db()
    assert merge.status == "approved" and merge.merged_by == user and merge.merged_at is not None
    for bad in ("suggested", "rejected", "approved"):
        with pytest.raises(InvalidTransition):
            transition_merge(merge, bad, user=user)
    stale = StatementMerge.objects.get()
    stale.status = "suggested"  # someone else's view of it
    with pytest.raises(InvalidTransition):
        transition_merge(stale, "approved", user=user)
    assert [h["to"] for h in merge.details["history"]] == ["approved"]


def test_rejected_is_final(user, account):
    reworded_download(user, account)
    merge = transition_merge(StatementMerge.objects.get(), "rejected", user=user)
    for target in ("approved", "completed", "suggested"):
        with pytest.raises(InvalidTransition):
            transition_merge(merge, target, user=user)


# -- strategies -----------------------------------------------------------------------------


def _touch(tx, user, other_user):
    cat = Category.objects.create(user=user, key="online", name="Online")
    Transaction.objects.filter(pk=tx.pk).update(category=cat, notes="returned the cable",
                                                expense_classification="reimbursable", exclude_from_totals=True)
    split = TransactionSplit.objects.create(transaction=tx, participant=other_user, amount=Decimal("5.00"))
    mention = TransactionMention.objects.create(transaction=tx, created_by=user, mention_type="user",
                                                mentioned_user=other_user, mentioned_text="@bob")
    chat = ChatMessage.objects.create(user=user, conversation_id="main", content="x", related_transaction=tx)
    return cat, split, mention, chat


def test_keep_primary_removes_matched_moves_user_data_and_undo_restores(user, other_user, account):
    first, second = reworded_download(user, account)
    dupes = list(Transaction.objects.filter(uploaded_file=second).order_by("date"))
    cat, split, mention, chat = _touch(dupes[0], user, other_user)
    before = {t.pk: t for t in Transaction.objects.filter(uploaded_file=second)}
    merge = transition_merge(StatementMerge.objects.get(), "approved", user=user)
    transition_merge(merge, "completed", user=user)

    assert ledger(user, account) == sorted((d, Decimal(a)) for d, a, _ in BASE)
    assert not Transaction.objects.filter(uploaded_file=second).exists()
    twin = Transaction.objects.get(uploaded_file=first, date=dupes[0].date)
    assert twin.category == cat and twin.notes == "returned the cable"
    assert twin.expense_classification == "reimbursable" and twin.exclude_from_totals
    assert TransactionSplit.objects.get(pk=split.pk).transaction_id == twin.pk
    assert TransactionMention.objects.get(pk=mention.pk).transaction_id == twin.pk
    assert ChatMessage.objects.get(pk=chat.pk).related_transaction_id == twin.pk
    merge.refresh_from_db()
    assert merge.status == "completed" and len(merge.details["removed"]) == 3
    assert merge.details["unmatched"] == [] and merge.details["kept"] == []
    stored = merge.details["removed"][0]["transaction"]
    assert isinstance(stored["amount"], str) and Decimal(stored["amount"]) == before[stored["id"]].amount

    undo_merge(merge, user=user)
    merge.refresh_from_db()
    assert merge.status == "approved" and "removed" not in merge.details
    restored = {t.pk: t for t in Transaction.objects.filter(uploaded_file=second)}
    assert set(restored) == set(before)
    for pk, old in before.items():
        assert (restored[pk].amount, restored[pk].description, restored[pk].created_at) == (
            old.amount, old.description, old.created_at)
    assert restored[dupes[0].pk].category == cat
    assert TransactionSplit.objects.get(pk=split.pk).transaction_id == dupes[0].pk
    assert TransactionMention.objects.get(pk=mention.pk).transaction_id == dupes[0].pk
    assert ChatMessage.objects.get(pk=chat.pk).related_transaction_id == dupes[0].pk
    twin.refresh_from_db()
    assert twin.category is None and twin.notes == "" and twin.expense_classification == "regular_monthly"
    assert not twin.exclude_from_totals

    # Approved again: complete, then purge; undo is then impossible.
    transition_merge(merge, "completed", user=user)
    assert purge_merge(merge, user=user) == 3
    with pytest.raises(MergeError):
        undo_merge(merge, user=user)


def test_a_removed_row_stored_in_the_documented_format_undoes(user, account):
    # Frozen: a removed transaction as merges store it (attribute names; decimals,
    # dates and datetimes as text), without a field added to the model later.
    first, second = reworded_download(user, account)
    merge = transition_merge(StatementMerge.objects.get(), "approved", user=user)
    transition_merge(merge, "completed", user=user)
    merge.refresh_from_db()
    details = merge.details
    pk = details["removed"][0]["transaction"]["id"]
    details["removed"][0]["transaction"] = {
        "id": pk, "user_id": user.pk, "account_id": account.pk, "date": "2024-03-04", "amount": "-15.0300",
        "currency": "EUR", "description": "Restored as stored", "merchant": "", "notes": "", "category_id": None,
        "group_id": None, "paid_by_id": None, "source": "statement", "uploaded_file_id": second.pk, "bank_id": "",
        "import_fingerprint": "", "is_reimbursable": False, "is_recurring": False,
        "created_at": "2024-04-01T08:00:00.250000+00:00", "updated_at": "2024-04-02T09:30:00+00:00",
        "expense_classification": "one_time", "exclude_from_totals": True, "chat_message_id": None,
    }
    StatementMerge.objects.filter(pk=merge.pk).update(details=details)
    merge.refresh_from_db()
    undo_merge(merge, user=user)
    back = Transaction.objects.get(pk=pk)
    assert (back.date, back.amount, back.description) == (dt.date(2024, 3, 4), Decimal("-15.03"), "Restored as stored")
    assert (back.expense_classification, back.exclude_from_totals, back.exclusion_overridden) == (
        "one_time", True, False)
    assert back.created_at == dt.datetime(2024, 4, 1, 8, 0, 0, 250000, tzinfo=dt.timezone.utc)
    assert back.updated_at == dt.datetime(2024, 4, 2, 9, 30, tzinfo=dt.timezone.utc)


def _with_extra_row(user, account):
    """Primary and duplicate with the same number of rows; each has one the other lacks."""
    first = load(user, csv(BASE[:19] + [(START + dt.timedelta(days=25), "-99.00", "Only in first")]), "a.csv",
                 account)
    rows = [(d, amt, REWORDED.get(i, desc)) for i, (d, amt, desc) in enumerate(BASE)]
    second = load(user, csv(rows), "b.csv", account)
    merge = StatementMerge.objects.get()
    assert merge.primary_file == first
    return first, second, merge


def test_keep_primary_lists_unmatched_instead_of_dropping_them(user, account):
    first, second, merge = _with_extra_row(user, account)
    transition_merge(merge, "approved", user=user)
    transition_merge(merge, "completed", user=user)
    merge.refresh_from_db()
    (left,) = Transaction.objects.filter(uploaded_file=second)
    assert left.date == BASE[19][0]
    assert [u["id"] for u in merge.details["unmatched"]] == [left.pk]
    assert len(merge.details["removed"]) == 3


def test_merge_all_keeps_each_real_transaction_once(user, account):
    first, second, merge = _with_extra_row(user, account)
    merge.merge_strategy = "merge_all"
    merge.save(update_fields=["merge_strategy"])
    transition_merge(merge, "approved", user=user)
    transition_merge(merge, "completed", user=user)
    expected = sorted([(d, Decimal(a)) for d, a, _ in BASE] + [(START + dt.timedelta(days=25), Decimal("-99.00"))])
    assert ledger(user, account) == expected
    merge.refresh_from_db()
    assert len(merge.details["removed"]) == 3 and merge.details["unmatched"] == []


def test_manual_removes_only_the_chosen(user, other_user, account):
    first, second = reworded_download(user, account)
    merge = StatementMerge.objects.get()
    merge.merge_strategy = "manual"
    merge.save(update_fields=["merge_strategy"])
    transition_merge(merge, "approved", user=user)
    chosen, *others = Transaction.objects.filter(uploaded_file=second).order_by("pk")
    with pytest.raises(MergeError):
        transition_merge(merge, "completed", user=user)
    stranger = Transaction.objects.filter(uploaded_file=first).first()
    with pytest.raises(MergeError):
        transition_merge(merge, "completed", user=user, remove=[chosen.pk, stranger.pk])
    merge.refresh_from_db()
    assert merge.status == "approved"
    transition_merge(merge, "completed", user=user, remove=[chosen.pk])
    assert set(Transaction.objects.filter(uploaded_file=second)) == set(others)


def test_touched_transaction_without_a_twin_is_kept(user, other_user, account):
    first, second = reworded_download(user, account)
    merge = StatementMerge.objects.get()
    victim = Transaction.objects.filter(uploaded_file=second).order_by("pk").first()
    # Its twin disappears: nothing could carry its split.
    twin_date = victim.date
    Transaction.objects.filter(uploaded_file=first, date=twin_date).delete()
    TransactionSplit.objects.create(transaction=victim, participant=other_user, amount=Decimal("1.00"))
    merge.merge_strategy = "manual"
    merge.save(update_fields=["merge_strategy"])
    transition_merge(merge, "approved", user=user)
    transition_merge(merge, "completed", user=user, remove=[victim.pk])
    merge.refresh_from_db()
    assert Transaction.objects.filter(pk=victim.pk).exists()
    assert [k["id"] for k in merge.details["kept"]] == [victim.pk]


def test_failure_while_completing_changes_nothing(user, account, monkeypatch):
    from django_expense_ai.statements import merges

    reworded_download(user, account)
    merge = transition_merge(StatementMerge.objects.get(), "approved", user=user)
    before = ledger(user, account)

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(merges, "_move_onto", broken)
    monkeypatch.setattr(merges, "_serialise_removed", broken)
    with pytest.raises(RuntimeError):
        transition_merge(merge, "completed", user=user)
    assert ledger(user, account) == before
    merge.refresh_from_db()
    assert merge.status == "approved"


# -- admin --------------------------------------------------------------------------------------


@pytest.fixture
def admin_client(client, user):
    user.is_staff = True
    user.is_superuser = True
    user.save()
    client.force_login(user)
    return client


def test_admin_review_shows_rows_side_by_side_and_drives_the_merge(admin_client, user, account):
    first, second = reworded_download(user, account)
    merge = StatementMerge.objects.get()
    url = reverse("admin:expense_ai_statementmerge_review", args=[merge.pk])
    page = admin_client.get(url)
    assert page.status_code == 200
    body = page.content.decode()
    assert "Matched (20)" in body and "Only in primary (0)" in body and "Only in duplicate (0)" in body
    assert "AMZN Mktp UK*2K3" in body
    assert admin_client.post(url, {"action": "approve"}).status_code == 302
    merge.refresh_from_db()
    assert merge.status == "approved"
    page = admin_client.get(url).content.decode()
    dupes = list(Transaction.objects.filter(uploaded_file=second).order_by("pk"))
    for tx in dupes:
        assert f'name="remove" value="{tx.pk}"' in page
    response = admin_client.post(url, {"action": "complete", "strategy": "manual", "remove": [dupes[0].pk]})
    assert response.status_code == 302
    merge.refresh_from_db()
    assert merge.status == "completed" and merge.merge_strategy == "manual"
    assert not Transaction.objects.filter(pk=dupes[0].pk).exists()
    assert admin_client.post(url, {"action": "undo"}).status_code == 302
    merge.refresh_from_db()
    assert merge.status == "approved" and Transaction.objects.filter(pk=dupes[0].pk).exists()
    # A refused move is a message, not a crash.
    response = admin_client.post(url, {"action": "reject"}, follow=True)
    assert response.status_code == 200 and "cannot go from" in response.content.decode()


def test_admin_list_actions(admin_client, user, account):
    reworded_download(user, account)
    merge = StatementMerge.objects.get()
    changelist = reverse("admin:expense_ai_statementmerge_changelist")
    assert admin_client.get(changelist).status_code == 200
    admin_client.post(changelist, {"action": "reject_merges", "_selected_action": [merge.pk]})
    merge.refresh_from_db()
    assert merge.status == "rejected"
    assert UploadedFile.objects.count() == 2
