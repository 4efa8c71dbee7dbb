"""Secrets never reach an error page or an error mail; integrity clashes are form errors, never 500s.

Each admin path that takes a password or an API key is made to fail after
the secret was posted; the report Django would show (the technical 500 page
with ``DEBUG`` off, as rendered for a superuser's traceback view, and the
``ADMINS`` mail with its HTML part) must not contain it.
"""

from __future__ import annotations

import logging
import sys

import django
import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.signals import got_request_exception
from django.test import Client, override_settings
from django.urls import reverse
from django.utils.log import AdminEmailHandler
from django.views.debug import ExceptionReporter, technical_500_response

from django_expense_ai.models import Account, StatementMerge, StatementPassword
from django_expense_ai.models.swappable import ai_settings_for, get_ai_settings_model
from django_expense_ai.statements import pipeline

from .pdf_factory import build_statement, encrypt_pdf, make_rows

pytestmark = pytest.mark.django_db

PASSWORD = "Zebra-Statement-Pw-4417"
KEY = "sk-proj-zebra-0123456789abcdef"


class Boom(RuntimeError):
    pass


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser("root", "root@example.com", "pw")


@pytest.fixture
def reports(superuser):
    """Log in a client that turns exceptions into 500s; collect what Django would report."""
    client = Client(raise_request_exception=False)
    client.force_login(superuser)
    seen = []

    def receiver(sender, request, **kwargs):
        seen.append((request, sys.exc_info()))

    handler = AdminEmailHandler(include_html=True)
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    got_request_exception.connect(receiver)
    # The test runner already sends mail to the locmem outbox; ADMINS is plain addresses from Django 6.0.
    admins = ["ops@example.com"] if django.VERSION >= (6, 0) else [("Ops", "ops@example.com")]
    with override_settings(DEBUG=False, ADMINS=admins):
        try:
            yield client, seen
        finally:
            got_request_exception.disconnect(receiver)
            logger.removeHandler(handler)


def _everything_reported(seen) -> str:
    assert seen, "the view did not fail"
    request, exc_info = seen[-1]
    parts = [
        technical_500_response(request, *exc_info).content.decode(),
        ExceptionReporter(request, *exc_info).get_traceback_text(),
    ]
    assert mail.outbox, "no error mail was sent"
    for message in mail.outbox:
        parts.append(message.subject + message.body)
        parts += [content for content, _mime in getattr(message, "alternatives", [])]
    text = "\n".join(parts)
    assert "Boom" in text  # the report is real: it names the error
    return text


def test_statement_password_form(reports, superuser, monkeypatch):
    client, seen = reports
    monkeypatch.setattr(StatementPassword, "save", lambda *a, **k: (_ for _ in ()).throw(Boom("db down")))
    response = client.post(reverse("admin:expense_ai_statementpassword_add"),
                           {"user": superuser.pk, "password": PASSWORD, "password_hint": "h"})
    assert response.status_code == 500
    assert PASSWORD not in _everything_reported(seen)


def test_ai_keys_form(reports, superuser, monkeypatch):
    client, seen = reports
    settings_row = ai_settings_for(superuser)
    settings_row.save()
    model = get_ai_settings_model()
    monkeypatch.setattr(model, "save", lambda *a, **k: (_ for _ in ()).throw(Boom("db down")))
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[settings_row.pk])
    response = client.post(url, {"user": superuser.pk, "active_parser_provider": "system", "openai_model": "m",
                                 "claude_model": "m", "gemini_model": "m", "openai_key": KEY, "claude_key": KEY,
                                 "gemini_key": KEY})
    assert response.status_code == 500
    assert KEY not in _everything_reported(seen)


def test_statement_upload_with_password(reports, monkeypatch):
    client, seen = reports

    def broken_run(ctx, **kwargs):
        raise Boom("worker lost")

    monkeypatch.setattr(pipeline, "run_stages", broken_run)
    data = encrypt_pdf(build_statement(make_rows(3)), PASSWORD)
    response = client.post(reverse("admin:expense_ai_uploadedfile_upload"),
                           {"file": SimpleUploadedFile("jan.pdf", data), "password": PASSWORD, "remember": "on"})
    assert response.status_code == 500
    assert PASSWORD not in _everything_reported(seen)


# -- integrity clashes -------------------------------------------------------------


@pytest.fixture
def staff_client(client, django_user_model):
    staff = django_user_model.objects.create_user(username="staff", password="pw", is_staff=True)
    staff.user_permissions.set(Permission.objects.filter(content_type__app_label="expense_ai"))
    client.force_login(staff)
    client.staff = staff
    return client


def test_a_second_ai_settings_row_is_a_form_error(staff_client):
    model = get_ai_settings_model()
    ai_settings_for(staff_client.staff).save()
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_add")
    response = staff_client.post(url, {"active_parser_provider": "system", "openai_model": "m", "claude_model": "m",
                                       "gemini_model": "m", "openai_key": KEY})
    assert response.status_code == 200 and model.objects.filter(user=staff_client.staff).count() == 1
    assert KEY.encode() not in response.content
    assert b"errornote" in response.content or b"errorlist" in response.content


def test_a_second_default_password_for_an_account_is_a_form_error(staff_client):
    account = Account.objects.create(user=staff_client.staff, name="Main")
    url = reverse("admin:expense_ai_statementpassword_add")
    first = staff_client.post(url, {"account": account.pk, "password": "one", "is_default": "on"})
    assert first.status_code == 302
    second = staff_client.post(url, {"account": account.pk, "password": PASSWORD, "is_default": "on"})
    assert second.status_code == 200 and StatementPassword.objects.count() == 1
    assert b"already has a default password" in second.content and PASSWORD.encode() not in second.content


def test_merges_are_not_added_by_hand(staff_client):
    response = staff_client.get(reverse("admin:expense_ai_statementmerge_add"))
    assert response.status_code == 403 and not StatementMerge.objects.exists()
