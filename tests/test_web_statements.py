"""The statements pages: upload (CSV, encrypted PDF), stages with timings, result, raw vs parsed, history."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from django_expense_ai.models import StatementPassword, Transaction, UploadedFile
from django_expense_ai.statements import import_statement
from tests.pdf_factory import build_statement, encrypt_pdf, make_rows
from tests.webdata import account_of, csv_statement, upload

pytestmark = pytest.mark.django_db

PDF_PASSWORD = "19800131"


@pytest.fixture
def locked_pdf():
    rows = make_rows(12, start=dt.date(2026, 9, 1))
    return encrypt_pdf(build_statement(rows, layout="signed", currency="USD"), PDF_PASSWORD), rows


def test_uploading_a_csv_runs_the_pipeline_and_shows_the_result(client, user):
    account = account_of(user)
    client.force_login(user)

    response = client.post(reverse("expense_ai:statement_upload"),
                           {"file": upload("october.csv", csv_statement(9)), "account": account.pk})

    uploaded = UploadedFile.objects.get(user=user)
    assert response.status_code == 302 and response["Location"] == reverse("expense_ai:statement_detail",
                                                                           args=[uploaded.pk])
    assert uploaded.status == "completed" and Transaction.objects.filter(uploaded_file=uploaded).count() == 9
    page = client.get(response["Location"]).content.decode()
    for stage in ("File Upload", "Password Decryption", "Text Extraction", "Parse Attempt", "AI Parsing",
                  "Data Validation", "Duplicate Detection", "Transaction Creation", "Process Completion"):
        assert stage in page
    assert " ms" in page and "<strong>9</strong> transactions created" in page
    assert "SHOP 1000" in page  # raw text and parsed rows
    assert page.count("SHOP 1003") >= 2
    assert reverse("expense_ai:statement_download", args=[uploaded.pk]) in page


def test_an_overlapping_file_says_which_rows_were_skipped_and_why(client, user):
    import_statement(user, csv_statement(5), filename="a.csv")
    client.force_login(user)

    client.post(reverse("expense_ai:statement_upload"), {"file": upload("longer.csv", csv_statement(6))})

    longer = UploadedFile.objects.get(user=user, filename="longer.csv")
    page = client.get(reverse("expense_ai:statement_detail", args=[longer.pk])).content.decode()
    assert "<strong>1</strong> transaction created" in page and "<strong>5</strong> duplicates skipped" in page
    assert "already in your ledger" in page and "SHOP 1004" in page


def test_the_very_same_file_again_points_at_the_earlier_upload(client, user):
    first = import_statement(user, csv_statement(5), filename="a.csv")
    client.force_login(user)

    response = client.post(reverse("expense_ai:statement_upload"), {"file": upload("again.csv", csv_statement(5))})

    page = client.get(response["Location"]).content.decode()
    assert "Nothing new" in page and reverse("expense_ai:statement_detail", args=[first.pk]) in page


def test_an_encrypted_pdf_asks_for_its_password_and_remembers_it(client, user, locked_pdf):
    data, rows = locked_pdf
    client.force_login(user)

    response = client.post(reverse("expense_ai:statement_upload"),
                           {"file": upload("estatement_2026-09.pdf", data, "application/pdf")})
    uploaded = UploadedFile.objects.get(user=user)
    assert uploaded.status == "failed" and uploaded.error_stage == "password_decrypt"
    page = client.get(response["Location"]).content.decode()
    assert reverse("expense_ai:statement_unlock", args=[uploaded.pk]) in page and "needs its password" in page

    unlocked = client.post(reverse("expense_ai:statement_unlock", args=[uploaded.pk]),
                           {"password": PDF_PASSWORD, "remember": "on", "password_hint": "date of birth"},
                           follow=True)

    uploaded.refresh_from_db()
    assert uploaded.status == "completed"
    assert Transaction.objects.filter(uploaded_file=uploaded).count() == len(rows)
    entry = StatementPassword.objects.get(user=user)
    assert entry.get_password() == PDF_PASSWORD and entry.password_hint == "date of birth"
    assert entry.file_pattern == r"estatement_\d+\-\d+\.pdf"  # files like this one
    assert PDF_PASSWORD not in unlocked.content.decode()
    # The next month's file opens with the remembered password, no question asked.
    october = encrypt_pdf(build_statement(make_rows(5, start=dt.date(2026, 10, 1)), layout="signed",
                                          currency="USD"), PDF_PASSWORD)
    nxt = import_statement(user, october, filename="estatement_2026-10.pdf")
    assert nxt.status == "completed" and nxt.used_password_id == entry.pk


def test_an_encrypted_pdf_with_its_password_on_upload(client, user, locked_pdf):
    data, rows = locked_pdf
    client.force_login(user)

    response = client.post(reverse("expense_ai:statement_upload"),
                           {"file": upload("locked.pdf", data, "application/pdf"), "password": PDF_PASSWORD})

    uploaded = UploadedFile.objects.get(user=user)
    assert uploaded.status == "completed", uploaded.error_message
    assert Transaction.objects.filter(uploaded_file=uploaded).count() == len(rows)
    assert not StatementPassword.objects.filter(user=user).exists()  # not asked to remember
    assert PDF_PASSWORD not in client.get(response["Location"]).content.decode()


def test_a_wrong_password_is_not_remembered(client, user, locked_pdf):
    data, _ = locked_pdf
    client.force_login(user)
    client.post(reverse("expense_ai:statement_upload"),
                {"file": upload("locked.pdf", data, "application/pdf"), "password": "nope", "remember": "on"})

    uploaded = UploadedFile.objects.get(user=user)
    assert uploaded.status == "failed" and uploaded.error_stage == "password_decrypt"
    assert not StatementPassword.objects.filter(user=user).exists()


def test_history_lists_uploads_with_status(client, user):
    import_statement(user, csv_statement(3), filename="good.csv")
    import_statement(user, b"\x00\x01 not a statement", filename="bad.csv")
    client.force_login(user)

    page = client.get(reverse("expense_ai:statements")).content.decode()

    assert "good.csv" in page and "bad.csv" in page
    assert "ea-status-completed" in page and "ea-status-failed" in page


def test_the_progress_partial_polls_only_while_the_file_is_processed(client, user):
    uploaded = import_statement(user, csv_statement(3), filename="done.csv")
    client.force_login(user)
    url = reverse("expense_ai:statement_progress", args=[uploaded.pk])

    done = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in done and "Result" in done

    UploadedFile.objects.filter(pk=uploaded.pk).update(status="queued")
    waiting = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 1s"' in waiting and "Result" not in waiting


def test_another_users_statement_is_not_found(client, user, other_user):
    theirs = import_statement(other_user, csv_statement(3, label="BOBSHOP"), filename="bob.csv")
    client.force_login(user)

    for name in ("expense_ai:statement_detail", "expense_ai:statement_progress", "expense_ai:statement_download"):
        assert client.get(reverse(name, args=[theirs.pk])).status_code == 404
    for name in ("expense_ai:statement_unlock", "expense_ai:statement_reprocess"):
        assert client.post(reverse(name, args=[theirs.pk]), {"password": "x"}).status_code == 404
    assert "bob.csv" not in client.get(reverse("expense_ai:statements")).content.decode()
