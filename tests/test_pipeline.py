"""The statement import pipeline: stages and their logs, passwords, AI, safety, tasks, storage."""

from __future__ import annotations

import datetime as dt
import importlib
import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import override_settings

from django_expense_ai import hookimpl
from django_expense_ai.exceptions import InvalidTransition, NotYours, ProviderAuthError
from django_expense_ai.models import (
    Account,
    StatementPassword,
    StatementProcessingLog,
    Transaction,
    UploadedFile,
)
from django_expense_ai.models.swappable import ai_settings_for
from django_expense_ai.providers.fake import FakeProvider
from django_expense_ai.statements import import_statement, pipeline, read_statement, reprocess
from django_expense_ai.statements.pipeline import STAGES, transition
from django_expense_ai.statements.types import StatementRow

from .pdf_factory import ELF_BYTES, build_statement, encrypt_pdf, garbage_pdf, make_rows, truncated_pdf
from .settings import TASKS_MODULE

pytestmark = pytest.mark.django_db

STAGE_NAMES = [name for name, _ in STAGES]


def csv_bytes(rows: list[tuple[str, str, str]]) -> bytes:
    lines = ["Date,Description,Amount"] + [f"{d},{desc},{amt}" for d, desc, amt in rows]
    return ("\n".join(lines) + "\n").encode()


SIMPLE = [("2024-03-01", "Coffee shop", "-3.50"), ("2024-03-02", "Salary", "2500.00"),
          ("2024-03-03", "Groceries", "-54.20")]


def logs_of(uf) -> list[StatementProcessingLog]:
    return list(uf.processing_logs.order_by("pk"))


def stages_and_status(uf) -> list[tuple[str, str]]:
    return [(log.processing_stage, log.status) for log in logs_of(uf)]


@pytest.fixture
def account(user):
    return Account.objects.create(user=user, name="Current", currency="EUR")


@pytest.fixture
def fake_ai(user):
    FakeProvider.reset()
    s = ai_settings_for(user)
    s.active_parser_provider = "fake"
    s.save()
    yield FakeProvider
    FakeProvider.reset()


# -- the public API ------------------------------------------------------------


def test_read_statement_is_reexported_and_pure():
    parsed = read_statement(csv_bytes(SIMPLE), "x.csv")
    assert len(parsed.rows) == 3


def test_csv_import_logs_every_stage_once_in_order(user, account):
    uf = import_statement(user, csv_bytes(SIMPLE), filename="march.csv", account=account)
    assert uf.status == "completed"
    assert [s for s, _ in stages_and_status(uf)] == STAGE_NAMES
    status = dict(stages_and_status(uf))
    assert status["password_decrypt"] == "skipped" and status["ai_parse"] == "skipped"
    assert status["transaction_creation"] == "success"
    assert all(log.execution_time_ms is not None for log in logs_of(uf))
    assert len(uf.created_transactions) == 3 and uf.rows_found == 3
    assert uf.transactions.count() == 3
    tx = uf.transactions.get(description="Salary")
    assert tx.amount == Decimal("2500.00") and tx.currency == "EUR" and tx.source == "statement"
    assert tx.account == account and len(tx.import_fingerprint) == 64
    uf.refresh_from_db()
    assert uf.processing_version == "2.0" and uf.content_type == "text/csv"
    assert uf.raw_text_extracted.startswith("Date,Description,Amount")
    assert uf.parsed_json["rows"][0] == {
        "date": "2024-03-01", "description": "Coffee shop", "amount": "-3.50",
        "currency": None, "balance": None, "bank_id": "",
    }
    json.dumps(uf.parsed_json)  # plain JSON, money as strings


def test_accepts_django_file_and_path(user, tmp_path):
    upload = SimpleUploadedFile("upload.csv", csv_bytes(SIMPLE), content_type="text/plain")
    a = import_statement(user, upload)
    assert a.filename == "upload.csv" and a.status == "completed"
    path = Path(tmp_path) / "other.csv"
    path.write_bytes(csv_bytes([("2024-04-01", "Rent", "-900.00")]))
    b = import_statement(user, path)
    assert b.filename == "other.csv" and len(b.created_transactions) == 1


def test_account_of_another_user_is_refused(user, other_user):
    foreign = Account.objects.create(user=other_user, name="Bob's")
    with pytest.raises(NotYours):  # "no such account", never "it is someone else's"
        import_statement(user, csv_bytes(SIMPLE), account=foreign)
    assert not UploadedFile.objects.exists()


# -- PDFs and passwords ----------------------------------------------------------


def test_pdf_import_matches_what_was_printed(user):
    rows = make_rows(40)
    uf = import_statement(user, build_statement(rows), filename="jan.pdf")
    assert uf.status == "completed", uf.error_message
    created = sorted(uf.created_transactions, key=lambda t: (t.date, t.pk))
    assert [t.amount for t in created] == [r.amount for r in rows]
    validation = uf.processing_logs.get(processing_stage="validation")
    assert validation.details["balance_check"]["ok"] is True


def test_caller_password_opens_and_is_never_stored_or_logged(user):
    secret = "dob-01011990"
    data = encrypt_pdf(build_statement(make_rows(10)), secret)
    uf = import_statement(user, data, filename="locked.pdf", password=secret)
    assert uf.status == "completed"
    uf.refresh_from_db()
    assert uf.is_password_protected is True and uf.used_password is None
    log = uf.processing_logs.get(processing_stage="password_decrypt")
    assert log.status == "success" and log.details["opened_with"] == {"source": "caller"}
    assert not StatementPassword.objects.exists()
    everything = json.dumps([lg.details for lg in logs_of(uf)]) + uf.error_message + json.dumps(uf.parsed_json)
    assert secret not in everything


def test_stored_passwords_are_tried_in_order_and_success_recorded(user, account):
    data = encrypt_pdf(build_statement(make_rows(5)), "right-one")
    wrong = StatementPassword(user=user, account=account, is_default=True, password_hint="old")
    wrong.set_password("nope")
    wrong.save()
    right = StatementPassword(user=user, password_hint="birthday")
    right.set_password("right-one")
    right.save()
    uf = import_statement(user, data, filename="s.pdf", account=account, password="caller-wrong")
    assert uf.status == "completed", uf.error_message
    log = uf.processing_logs.get(processing_stage="password_decrypt")
    assert [a["outcome"] for a in log.details["attempts"]] == ["did not open it", "did not open it", "opened it"]
    assert log.details["opened_with"] == {"source": "stored", "password_id": right.pk, "hint": "birthday"}
    assert "right-one" not in json.dumps(log.details) and "caller-wrong" not in json.dumps(log.details)
    uf.refresh_from_db()
    right.refresh_from_db()
    assert uf.used_password == right and uf.is_password_protected
    assert right.success_count == 1 and right.last_used is not None


@pytest.mark.parametrize("password", [None, "wrong"])
def test_missing_or_wrong_password_fails_clearly_and_creates_nothing(user, password):
    data = encrypt_pdf(build_statement(make_rows(5)), "secret-pw")
    uf = import_statement(user, data, filename="s.pdf", password=password)
    assert uf.status == "failed" and uf.error_stage == "password_decrypt"
    assert "password" in uf.error_message.lower()
    assert not Transaction.objects.exists()
    status = dict(stages_and_status(uf))
    assert status["password_decrypt"] == "failed" and status["completion"] == "failed"
    assert status["parse_attempt"] == "skipped"
    assert len(logs_of(uf)) == len(STAGES)
    # ... and it can be reprocessed with the right one.
    again = reprocess(uf, password="secret-pw")
    assert again.status == "completed" and len(again.created_transactions) == 5
    assert again.error_stage == "" and again.error_message == ""


def test_pdf_with_empty_user_password_is_not_password_protected(user):
    data = encrypt_pdf(build_statement(make_rows(3)), "")
    uf = import_statement(user, data, filename="s.pdf")
    assert uf.status == "completed"
    uf.refresh_from_db()
    assert uf.is_password_protected is False
    assert uf.processing_logs.get(processing_stage="password_decrypt").status == "success"


@pytest.mark.parametrize(
    ("data", "stage", "words"),
    [
        (truncated_pdf(build_statement(make_rows(30))), None, "damaged"),
        (garbage_pdf(), None, "damaged"),
        (ELF_BYTES, "upload", "executable"),
        (b"", "upload", "empty"),
    ],
    ids=["truncated", "garbage", "renamed-exe", "empty"],
)
def test_bad_files_fail_with_a_clear_log_row(user, data, stage, words):
    uf = import_statement(user, data, filename="statement.pdf")
    assert uf.status == "failed"
    if stage:
        assert uf.error_stage == stage
    assert words in uf.error_message.lower()
    failed = uf.processing_logs.get(processing_stage=uf.error_stage)
    assert failed.status == "failed" and failed.details["message"] == uf.error_message
    assert not Transaction.objects.exists()


def test_oversized_file_is_refused_and_not_stored(user):
    with override_settings(EXPENSE_AI={"MAX_UPLOAD_BYTES": 100}):
        uf = import_statement(user, csv_bytes(SIMPLE * 5), filename="big.csv")
    assert uf.status == "failed" and uf.error_stage == "upload"
    assert "limit is 100" in uf.error_message
    assert not uf.file
    assert not Transaction.objects.exists()


def test_file_type_is_checked_by_content_not_name(user):
    uf = import_statement(user, csv_bytes(SIMPLE), filename="looks-like.pdf")
    assert uf.status == "completed" and uf.content_type == "text/csv"


def test_no_rows_found_fails_with_reason(user):
    from .pdf_factory import text_pdf

    uf = import_statement(user, text_pdf("Dear customer,", "thank you for banking with us."), filename="l.pdf")
    assert uf.status == "failed" and uf.error_stage == "parse_attempt"
    assert "No transactions were found" in uf.error_message


# -- validation ------------------------------------------------------------------


def test_absurd_date_fails_validation_and_nothing_is_created(user):
    uf = import_statement(user, csv_bytes([("2024-01-01", "ok", "-1.00"), ("1901-01-01", "bad", "-2.00")]))
    assert uf.status == "failed" and uf.error_stage == "validation"
    assert "row 2" in uf.error_message
    log = uf.processing_logs.get(processing_stage="validation")
    assert log.details["rows_invalid"] == 1 and log.details["problems"][0]["field"] == "date"
    assert uf.parsed_json["rows"][1]["date"] == "1901-01-01"  # kept for the comparison view
    assert not Transaction.objects.exists()


def test_too_many_decimals_for_the_currency_are_refused_not_rounded(user):
    jpy = Account.objects.create(user=user, name="Yen", currency="JPY")
    uf = import_statement(user, csv_bytes([("2024-01-01", "Ramen", "-980.5")]), account=jpy)
    assert uf.status == "failed" and uf.error_stage == "validation"
    assert "JPY" in uf.error_message and "refused rather than rounded" in uf.error_message


def test_balance_mismatch_is_reported_and_lowers_confidence(user):
    rows = make_rows(6)
    data = build_statement(rows, opening=Decimal("999.00"))  # printed opening does not fit the rows
    uf = import_statement(user, data, filename="s.pdf")
    log = uf.processing_logs.get(processing_stage="validation")
    parse = uf.processing_logs.get(processing_stage="parse_attempt")
    assert log.details["balance_check"]["ok"] is False
    assert log.details["balance_check"]["difference"] == "1.00"
    assert log.details["confidence"] == pytest.approx(parse.details["confidence"] / 2)
    assert any("closing balance" in w for w in log.details["warnings"])


# -- duplicates ------------------------------------------------------------------


def test_same_bytes_again_are_recognised_as_a_duplicate_file(user):
    first = import_statement(user, csv_bytes(SIMPLE), filename="a.csv")
    second = import_statement(user, csv_bytes(SIMPLE), filename="a (1).csv")
    assert second.status == "completed"
    assert second.duplicate_of == first and second.duplicate_confidence == 100
    assert second.created_transactions == [] and Transaction.objects.count() == 3
    assert dict(stages_and_status(second))["parse_attempt"] == "skipped"


def test_reprocessing_a_completed_file_creates_nothing_new(user):
    uf = import_statement(user, csv_bytes(SIMPLE))
    again = reprocess(uf)
    assert again.status == "completed" and again.created_transactions == []
    assert len(again.skipped_duplicates) == 3
    assert {d["matched_transaction_id"] for d in again.skipped_duplicates} == set(
        Transaction.objects.values_list("pk", flat=True)
    )
    assert Transaction.objects.count() == 3
    assert uf.processing_logs.filter(processing_stage="upload").count() == 2  # history is kept


def test_overlapping_statements_create_only_the_new_rows(user, account):
    rows = make_rows(100)
    first = import_statement(user, build_statement(rows[:60]), filename="a.pdf", account=account)
    second = import_statement(user, build_statement(rows[39:]), filename="b.pdf", account=account)
    assert len(first.created_transactions) == 60
    assert len(second.created_transactions) == 40 and len(second.skipped_duplicates) == 21
    assert Transaction.objects.filter(account=account).count() == 100
    assert sorted(t.amount for t in Transaction.objects.all()) == sorted(r.amount for r in rows)


def test_identical_bus_fares_stay_two_and_are_not_doubled_on_reimport(user):
    fares = [("2024-05-02", "CITY BUS", "-2.40"), ("2024-05-02", "CITY BUS", "-2.40")]
    uf = import_statement(user, csv_bytes(fares))
    assert len(uf.created_transactions) == 2
    # A later export with one more fare that day (and different bytes): only the third is new.
    later = import_statement(user, csv_bytes(fares + [("2024-05-02", "CITY BUS", "-2.40"),
                                                      ("2024-05-03", "Bakery", "-4.10")]))
    assert len(later.created_transactions) == 2 and len(later.skipped_duplicates) == 2
    assert Transaction.objects.filter(description="CITY BUS").count() == 3


def test_skipped_rows_are_listed_in_the_dedup_log(user):
    import_statement(user, csv_bytes(SIMPLE[:1]))
    uf = import_statement(user, csv_bytes(SIMPLE))
    log = uf.processing_logs.get(processing_stage="deduplication")
    assert log.details["duplicates"] == 1 and log.details["new"] == 2
    skipped = log.details["skipped"][0]
    assert skipped["reason"] == "fingerprint" and skipped["score"] == 100
    assert skipped["matched_transaction_id"] == Transaction.objects.get(description="Coffee shop").pk


# -- AI ----------------------------------------------------------------------------


def test_user_with_ai_provider_gets_ai_rows(user, fake_ai):
    fake_ai.queue([StatementRow(date=dt.date(2024, 3, 9), description="AI row", amount=Decimal("-9.99"))])
    uf = import_statement(user, csv_bytes(SIMPLE))
    assert uf.status == "completed", uf.error_message
    assert [t.description for t in uf.created_transactions] == ["AI row"]
    log = uf.processing_logs.get(processing_stage="ai_parse")
    assert log.status == "success" and log.ai_provider == "fake" and log.parser_type == "hybrid"
    assert fake_ai.calls[0].method == "parse_statement"
    assert "Coffee shop" in fake_ai.calls[0].kwargs["text"]


def test_ai_failure_keeps_the_system_parse(user, fake_ai):
    fake_ai.queue(ProviderAuthError("key refused", provider="fake", status_code=401))
    uf = import_statement(user, csv_bytes(SIMPLE))
    assert uf.status == "completed" and len(uf.created_transactions) == 3
    log = uf.processing_logs.get(processing_stage="ai_parse")
    assert log.status == "failed" and log.details["kind"] == "auth" and "kept" in log.details


def test_ai_used_when_the_system_parsers_find_nothing(user, fake_ai):
    from .pdf_factory import text_pdf

    fake_ai.queue([StatementRow(date=dt.date(2024, 3, 9), description="Found by AI", amount=Decimal("-5.00"))])
    uf = import_statement(user, text_pdf("A letter with 09/03/2024 paid 5.00 to someone"), filename="l.pdf")
    assert uf.status == "completed", uf.error_message
    assert uf.processing_logs.get(processing_stage="ai_parse").parser_type == "ai"
    assert [t.description for t in uf.created_transactions] == ["Found by AI"]


@pytest.mark.django_db(transaction=True)
def test_no_database_transaction_is_open_during_the_provider_call(user, fake_ai, monkeypatch):
    seen = []
    real = pipeline.ai.call_provider

    def spy(*args, **kwargs):
        seen.append(connection.in_atomic_block)
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline.ai, "call_provider", spy)
    import_statement(user, csv_bytes(SIMPLE))
    assert seen == [False]


# -- safety ----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_failure_while_creating_leaves_no_transactions_but_keeps_the_logs(user, monkeypatch):
    from django.db.models.query import QuerySet

    real = QuerySet.bulk_create

    def half_then_fail(self, objs, *args, **kwargs):
        real(self, objs[:1], *args, **kwargs)  # something is written inside the atomic block ...
        raise RuntimeError("disk full secret=hunter2")  # ... then it fails

    monkeypatch.setattr(QuerySet, "bulk_create", half_then_fail)
    uf = import_statement(user, csv_bytes(SIMPLE))
    assert uf.status == "failed" and uf.error_stage == "transaction_creation"
    assert "RuntimeError" in uf.error_message and "hunter2" not in uf.error_message
    assert Transaction.objects.count() == 0
    # The log rows written before the failure survived it (each committed on its own).
    assert dict(stages_and_status(UploadedFile.objects.get(pk=uf.pk)))["deduplication"] == "success"
    assert StatementProcessingLog.objects.filter(uploaded_file=uf).count() == len(STAGES)


def test_status_transitions_are_checked(user):
    uf = UploadedFile.objects.create(user=user, filename="x.csv")
    with pytest.raises(InvalidTransition):
        transition(uf, "completed")
    transition(uf, "queued")
    with pytest.raises(InvalidTransition):
        transition(uf, "failed")
    stale = UploadedFile.objects.get(pk=uf.pk)
    transition(uf, "processing")
    with pytest.raises(InvalidTransition):  # the row moved on under a stale instance
        transition(stale, "processing")
    with pytest.raises(InvalidTransition):
        reprocess(uf)


def test_hooks_are_called_for_every_stage_and_at_the_end(user, register_plugin):
    seen = []

    class Listener:
        @hookimpl
        def statement_stage_completed(self, uploaded_file, stage, status, details):
            seen.append((stage, status))

        @hookimpl
        def statement_processed(self, uploaded_file, created, duplicates):
            seen.append(("processed", len(created), duplicates))

        @hookimpl
        def classify_transaction(self, transaction):  # noqa: F811
            return "reimbursable" if "Coffee" in transaction.description else None

    register_plugin(Listener())
    uf = import_statement(user, csv_bytes(SIMPLE))
    assert [s for s, *_ in seen[:-1]] == STAGE_NAMES
    assert seen[-1] == ("processed", 3, 0)
    coffee = uf.transactions.get(description="Coffee shop")
    assert coffee.expense_classification == "reimbursable" and coffee.exclude_from_totals is True
    salary = uf.transactions.get(description="Salary")
    assert salary.expense_classification == "regular_monthly" and salary.exclude_from_totals is False


# -- tasks -----------------------------------------------------------------------


@override_settings(
    EXPENSE_AI={"TASKS_MODE": "enqueue"},
    TASKS={"default": {"BACKEND": f"{TASKS_MODULE}.backends.dummy.DummyBackend"}},
)
def test_enqueue_mode_queues_only_the_id(user, django_capture_on_commit_callbacks):
    default_task_backend = importlib.import_module(TASKS_MODULE).default_task_backend

    default_task_backend.clear()
    with django_capture_on_commit_callbacks(execute=True):
        uf = import_statement(user, csv_bytes(SIMPLE))
    assert uf.status == "queued"
    [result] = default_task_backend.results
    assert result.args == [uf.pk] and result.kwargs == {}
    assert not Transaction.objects.exists()
    # The worker finishes it.
    from django_expense_ai.statements.pipeline import process_queued

    done = process_queued(uf.pk)
    assert done.status == "completed" and len(done.created_transactions) == 3
    assert [s for s, _ in stages_and_status(done)] == STAGE_NAMES


@override_settings(
    EXPENSE_AI={"TASKS_MODE": "enqueue"},
    TASKS={"default": {"BACKEND": f"{TASKS_MODULE}.backends.dummy.DummyBackend"}},
)
def test_enqueue_mode_uses_the_password_before_queueing(user, django_capture_on_commit_callbacks):
    default_task_backend = importlib.import_module(TASKS_MODULE).default_task_backend

    default_task_backend.clear()
    data = encrypt_pdf(build_statement(make_rows(8)), "q-secret")
    with django_capture_on_commit_callbacks(execute=True):
        uf = import_statement(user, data, filename="s.pdf", password="q-secret")
    assert uf.status == "queued"
    [result] = default_task_backend.results
    assert result.args == [uf.pk] and "q-secret" not in json.dumps([result.args, result.kwargs])
    assert [s for s, _ in stages_and_status(uf)] == STAGE_NAMES[:3]
    uf.refresh_from_db()
    assert uf.raw_text_extracted  # unlocked text stored; the worker never needs the password
    from django_expense_ai.statements.pipeline import process_queued

    done = process_queued(uf.pk)
    assert done.status == "completed", done.error_message
    assert len(done.created_transactions) == 8


@override_settings(EXPENSE_AI={"TASKS_MODE": "enqueue"})
def test_enqueue_mode_with_the_immediate_backend_completes(user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        uf = import_statement(user, csv_bytes(SIMPLE))
    uf.refresh_from_db()
    assert uf.status == "completed" and uf.transactions.count() == 3


# -- storage -----------------------------------------------------------------------


def test_file_is_stored_under_an_unguessable_name_and_downloadable_by_owner_only(
    user, other_user, client, django_user_model
):
    uf = import_statement(user, csv_bytes(SIMPLE), filename="my statement.csv")
    assert "my statement" not in uf.file.name and uf.file.name.startswith("expense_ai/statements/")
    url = f"/expense-ai/statements/{uf.pk}/download/"
    assert client.get(url).status_code == 404  # anonymous
    client.force_login(other_user)
    assert client.get(url).status_code == 404
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == csv_bytes(SIMPLE)
    assert "attachment" in response["Content-Disposition"]
    admin = django_user_model.objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(admin)
    assert client.get(url).status_code == 200
    assert client.get("/expense-ai/statements/999999/download/").status_code == 404


def test_stored_file_is_deleted_with_its_row(user, django_capture_on_commit_callbacks):
    uf = import_statement(user, csv_bytes(SIMPLE))
    storage, name = uf.file.storage, uf.file.name
    assert storage.exists(name)
    with django_capture_on_commit_callbacks(execute=True):
        uf.delete()
    assert not storage.exists(name)


def test_ofx_file_holding_the_same_transaction_twice_creates_it_once(user):
    trn = ("<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20240105<TRNAMT>-12.00<FITID>ABC1<NAME>Cinema</STMTTRN>")
    other = ("<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20240105<TRNAMT>-12.00<FITID>ABC2<NAME>Cinema</STMTTRN>")
    body = (
        "OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\n\n<OFX><BANKMSGSRSV1><STMTTRNRS><STMTRS><CURDEF>USD"
        "<BANKACCTFROM><BANKID>1<ACCTID>12345678<ACCTTYPE>CHECKING</BANKACCTFROM>"
        f"<BANKTRANLIST><DTSTART>20240101<DTEND>20240131>{trn}{trn}{other}</BANKTRANLIST>"
        "</STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>\n"
    )
    uf = import_statement(user, body.encode(), filename="x.ofx")
    assert uf.status == "completed", uf.error_message
    assert uf.rows_found == 3
    assert sorted(t.bank_id for t in uf.created_transactions) == ["ABC1", "ABC2"]
    assert [d["reason"] for d in uf.skipped_duplicates] == ["same_upload"]


@pytest.mark.django_db
def test_an_import_invalidates_cached_monthly_totals(user, account):
    from django_expense_ai.ledger.reports import monthly_totals

    import_statement(user, csv_bytes(SIMPLE), filename="march.csv", account=account)
    first = monthly_totals(user, 2024, 3)
    assert first[0].count == 3
    more = SIMPLE + [("2024-03-20", "Bookshop", "-12.00"), ("2024-03-21", "Cinema", "-9.00")]
    import_statement(user, csv_bytes(more), filename="march-full.csv", account=account)
    # Served from the cache unless the bulk insert invalidated that month.
    assert monthly_totals(user, 2024, 3)[0].count == 5
