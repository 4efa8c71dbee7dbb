"""REST API: statement upload (same rows as import_statement), status, text, download, reprocess,
passwords (write-only), enqueue mode, limits."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from django_expense_ai.models import Account, StatementPassword, Transaction, UploadedFile
from django_expense_ai.statements import import_statement

from .api_helpers import BASE, assert_problem, client_for
from .pdf_factory import encrypt_pdf

pytestmark = pytest.mark.django_db
CSV = b"Date,Description,Amount\n2024-03-01,Coffee shop,-3.50\n2024-03-02,Salary,2500.00\n2024-03-03,Groceries,-54.20\n"


@pytest.fixture
def api(user):
    return client_for(user)


def upload(api, data: bytes, name: str, **extra):
    # These tests are about the direct path; the review path (the default) is in test_api_review.py.
    extra.setdefault("review", "false")
    return api.post(BASE + "statements/", {"file": SimpleUploadedFile(name, data), **extra}, format="multipart")


def rows_of(file_id):
    return sorted(Transaction.objects.filter(uploaded_file_id=file_id).values_list("date", "amount", "description"))


def test_csv_upload_status_text_download(api, user):
    account = Account.objects.create(user=user, name="Current", currency="EUR")
    r = upload(api, CSV, "march.csv", account=account.pk)
    assert r.status_code == 201, r.data
    assert r.data["status"] == "completed" and r.data["rows_found"] == 3 and r.data["account"] == account.pk
    assert [t["amount"] for t in r.data["created_transactions"]] == ["-3.50", "2500.00", "-54.20"]
    assert r["Location"].endswith(f"/statements/{r.data['id']}/")
    stages = [log["processing_stage"] for log in r.data["logs"]]
    assert stages[0] == "upload" and stages[-1] == "completion"
    pk = r.data["id"]
    detail = api.get(f"{BASE}statements/{pk}/")
    assert detail.status_code == 200 and detail.data["transaction_count"] == 3 and detail.data["logs"]
    text = api.get(f"{BASE}statements/{pk}/text/")
    assert "Coffee shop" in text.data["raw_text"] and len(text.data["parsed"]["rows"]) == 3
    download = api.get(f"{BASE}statements/{pk}/download/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == CSV
    assert download["X-Content-Type-Options"] == "nosniff"
    listing = api.get(BASE + "statements/")
    assert [f["id"] for f in listing.data["results"]] == [pk]


def test_other_users_statement_is_404(api, other_user):
    theirs = import_statement(other_user, CSV, filename="secret.csv")
    for suffix in ("", "text/", "download/"):
        assert "secret" not in str(assert_problem(api.get(f"{BASE}statements/{theirs.pk}/{suffix}"), 404))
    assert_problem(api.post(f"{BASE}statements/{theirs.pk}/reprocess/", {}, format="json"), 404)
    foreign_account = Account.objects.create(user=other_user, name="Theirs")
    body = assert_problem(upload(api, CSV, "x.csv", account=foreign_account.pk), 400)
    assert "account" in body["errors"]
    assert UploadedFile.objects.count() == 1


def test_too_large_is_413(api, settings):
    settings.EXPENSE_AI = {"MAX_UPLOAD_BYTES": 50}
    body = assert_problem(upload(api, CSV, "big.csv"), 413, "StatementTooLarge")
    assert "MAX_UPLOAD_BYTES" in body["detail"]
    assert not Transaction.objects.exists()


def test_encrypted_pdf_without_then_with_password_and_reprocess(api, user):
    from .pdf_factory import build_statement, make_rows

    rows = make_rows(5)
    locked = encrypt_pdf(build_statement(rows), "s3cret-pw")
    r = upload(api, locked, "locked.pdf")
    assert r.status_code == 201 and r.data["status"] == "failed" and r.data["error_stage"] == "password_decrypt"
    r = api.post(f"{BASE}statements/{r.data['id']}/reprocess/", {"password": "s3cret-pw"}, format="json")
    assert r.status_code == 200, r.data
    assert r.data["status"] == "completed" and len(r.data["created_transactions"]) == 5
    assert "s3cret-pw" not in str(r.data)


def test_enqueue_mode_answers_202_with_a_status_url(api, settings):
    settings.EXPENSE_AI = {"TASKS_MODE": "enqueue"}
    settings.TASKS = {"default": {"BACKEND": f"{settings.TASKS_MODULE}.backends.dummy.DummyBackend"}} if hasattr(
        settings, "TASKS_MODULE") else settings.TASKS
    r = upload(api, CSV, "queued.csv")
    assert r.status_code == 202, r.data
    assert r["Location"] == r.data["status_url"] and r.data["status"] in ("queued", "completed")
    assert api.get(r.data["status_url"]).status_code == 200


def test_statement_passwords_are_write_only(api, user, other_user):
    account = Account.objects.create(user=user, name="Card")
    r = api.post(BASE + "statement-passwords/", {"password": "hunter2", "password_hint": "dob", "account": account.pk,
                                                 "file_pattern": "card_.*"}, format="json")
    assert r.status_code == 201, r.data
    assert "password" not in r.data and "hunter2" not in str(r.data)
    row = StatementPassword.objects.get(pk=r.data["id"])
    assert row.get_password() == "hunter2" and row.user == user
    assert "hunter2" not in str(api.get(BASE + "statement-passwords/").data)
    r = api.patch(f"{BASE}statement-passwords/{row.pk}/", {"password": "new-one"}, format="json")
    assert r.status_code == 200 and "new-one" not in str(r.data)
    row.refresh_from_db()
    assert row.get_password() == "new-one"
    body = assert_problem(api.post(BASE + "statement-passwords/", {"password_hint": "x"}, format="json"), 400)
    assert "password" in body["errors"]
    bob = client_for(other_user)
    assert_problem(bob.get(f"{BASE}statement-passwords/{row.pk}/"), 404)
    assert_problem(bob.delete(f"{BASE}statement-passwords/{row.pk}/"), 404)
    assert_problem(api.post(BASE + "statement-passwords/", {"password": "x", "file_pattern": "(a+)+$"},
                            format="json"), 400)


# -- corpus: the API gives the rows import_statement gives ----------------------------------------

CORPUS_FILES = [
    "pdf/monopoly__example_statement.pdf",
    "csv/csv2ofx__default.csv",
    "ofx/beangulp__2013-12-03.bofa.ofx",
    "qfx/actual__utf-8.qfx",
]


@pytest.mark.corpus
@pytest.mark.parametrize("relative", CORPUS_FILES)
def test_corpus_upload_gives_the_same_rows_as_import_statement(api, other_user, corpus: Path, relative):
    path = corpus / relative
    direct = import_statement(other_user, path)
    r = upload(api, path.read_bytes(), path.name)
    assert r.status_code == 201, r.data
    assert r.data["status"] == direct.status == "completed", (r.data["error_message"], direct.error_message)
    assert rows_of(r.data["id"]) == rows_of(direct.pk) and rows_of(direct.pk)
    assert r.data["rows_found"] == direct.rows_found


@pytest.mark.corpus
@pytest.mark.parametrize("with_password", [False, True])
def test_corpus_encrypted_pdf_through_the_api(api, other_user, corpus: Path, with_password):
    locked = encrypt_pdf((corpus / "pdf/monopoly__example_statement.pdf").read_bytes(), "dob-01011990")
    extra = {"password": "dob-01011990"} if with_password else {}
    r = upload(api, locked, "locked.pdf", **extra)
    assert r.status_code == 201, r.data
    direct = import_statement(other_user, locked, filename="locked.pdf", **extra)
    assert r.data["status"] == direct.status and r.data["error_stage"] == direct.error_stage
    assert rows_of(r.data["id"]) == rows_of(direct.pk)
    if with_password:
        assert len(rows_of(direct.pk)) == 52  # and its opening balance line, which is no transaction
    else:
        assert r.data["error_stage"] == "password_decrypt" and not rows_of(direct.pk)


def test_overlapping_statement_reports_skipped_duplicates(api):
    upload(api, CSV, "march.csv")
    more = CSV + b"2024-03-04,Bookshop,-12.00\n"
    r = upload(api, more, "march-again.csv")
    assert r.status_code == 201, r.data
    assert [t["description"] for t in r.data["created_transactions"]] == ["Bookshop"]
    skipped = r.data["skipped_duplicates"]
    assert len(skipped) == 3 and {s["row"] for s in skipped} == {0, 1, 2}
    assert all(s["matched_transaction_id"] and s["reason"] and isinstance(s["amount"], str) for s in skipped)


def test_row_limit_is_413_naming_the_limit(api, settings):
    settings.EXPENSE_AI = {"MAX_STATEMENT_ROWS": 2}
    body = assert_problem(upload(api, CSV, "three-rows.csv"), 413, "StatementTooLarge")
    assert "MAX_STATEMENT_ROWS" in body["detail"]
    assert not Transaction.objects.exists()
