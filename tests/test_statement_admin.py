"""Admin for statement files: upload form, reprocess action, comparison view; no password ever shown."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from django_expense_ai.models import Account, StatementPassword, Transaction, UploadedFile
from django_expense_ai.statements import import_statement

from .pdf_factory import build_statement, encrypt_pdf, make_rows

pytestmark = pytest.mark.django_db

SECRET = "Sup3r-Secret-PW"
CSV = b"Date,Description,Amount\n2024-03-01,<script>alert(1)</script>,-3.50\n2024-03-02,Salary,2500.00\n"


@pytest.fixture
def admin_client(client, django_user_model):
    admin = django_user_model.objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(admin)
    client.admin = admin
    return client


@pytest.mark.parametrize("name", ["admin:expense_ai_uploadedfile_add", "admin:expense_ai_uploadedfile_upload"])
def test_add_page_is_the_upload_form(admin_client, name):
    page = admin_client.get(reverse(name))
    assert page.status_code == 200
    assert b'type="password"' in page.content and b'name="remember"' in page.content
    assert b'name="file"' in page.content and b'enctype="multipart/form-data"' in page.content


def test_upload_with_remembered_password(admin_client):
    account = Account.objects.create(user=admin_client.admin, name="Main", currency="EUR")
    data = encrypt_pdf(build_statement(make_rows(6)), SECRET)
    response = admin_client.post(
        reverse("admin:expense_ai_uploadedfile_upload"),
        {"file": SimpleUploadedFile("jan.pdf", data), "account": account.pk, "password": SECRET,
         "remember": "on", "password_hint": "usual one"},
        follow=True,
    )
    assert response.status_code == 200
    uf = UploadedFile.objects.get()
    assert uf.status == "completed" and uf.transactions.count() == 6
    saved = StatementPassword.objects.get()
    assert saved.get_password() == SECRET and saved.account == account and saved.password_hint == "usual one"
    assert SECRET.encode() not in response.content
    change = admin_client.get(reverse("admin:expense_ai_uploadedfile_change", args=[uf.pk]))
    assert change.status_code == 200 and SECRET.encode() not in change.content
    assert reverse("admin:expense_ai_uploadedfile_compare", args=[uf.pk]).encode() in change.content
    assert reverse("expense_ai:statement_download", args=[uf.pk]).encode() in change.content


def test_password_not_remembered_unless_ticked(admin_client):
    data = encrypt_pdf(build_statement(make_rows(3)), SECRET)
    response = admin_client.post(
        reverse("admin:expense_ai_uploadedfile_upload"),
        {"file": SimpleUploadedFile("jan.pdf", data), "password": SECRET},
        follow=True,
    )
    assert UploadedFile.objects.get().status == "completed"
    assert not StatementPassword.objects.exists()
    assert SECRET.encode() not in response.content


def test_failed_upload_says_why(admin_client):
    data = encrypt_pdf(build_statement(make_rows(3)), SECRET)
    response = admin_client.post(
        reverse("admin:expense_ai_uploadedfile_upload"),
        {"file": SimpleUploadedFile("jan.pdf", data), "password": "wrong", "remember": "on"}, follow=True,
    )
    text = response.content.decode()
    assert "failed at password_decrypt" in text and "was not saved" in text
    assert not StatementPassword.objects.exists()


def test_comparison_view_escapes_text(admin_client):
    uf = import_statement(admin_client.admin, CSV, filename="x.csv")
    page = admin_client.get(reverse("admin:expense_ai_uploadedfile_compare", args=[uf.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body  # raw text, escaped
    assert "&quot;amount&quot;: &quot;-3.50&quot;" in body  # parsed JSON, money as strings


def test_reprocess_action(admin_client):
    data = encrypt_pdf(build_statement(make_rows(4)), SECRET)
    uf = import_statement(admin_client.admin, data, filename="s.pdf")
    assert uf.status == "failed"
    entry = StatementPassword(user=admin_client.admin, password_hint="now stored")
    entry.set_password(SECRET)
    entry.save()
    response = admin_client.post(
        reverse("admin:expense_ai_uploadedfile_changelist"),
        {"action": "reprocess_files", "_selected_action": [uf.pk]}, follow=True,
    )
    assert response.status_code == 200
    uf.refresh_from_db()
    assert uf.status == "completed" and uf.used_password == entry
    assert Transaction.objects.count() == 4
    assert SECRET.encode() not in response.content


def test_staff_see_only_their_own_files(client, django_user_model, user):
    from django.contrib.auth.models import Permission

    staff = django_user_model.objects.create_user("staff", password="pw", is_staff=True)
    staff.user_permissions.set(Permission.objects.filter(codename__endswith="uploadedfile"))
    theirs = import_statement(user, CSV, filename="alice.csv")
    client.force_login(staff)
    assert client.get(reverse("admin:expense_ai_uploadedfile_changelist")).status_code == 200
    assert client.get(reverse("admin:expense_ai_uploadedfile_compare", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("expense_ai:statement_download", args=[theirs.pk])).status_code == 404
