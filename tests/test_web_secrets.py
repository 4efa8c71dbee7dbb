"""The pages that take a password or an API key keep it off Django's error page and error mail."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from django_expense_ai.models import StatementPassword
from django_expense_ai.models.swappable import get_ai_settings_model
from django_expense_ai.statements import import_statement, pipeline
from tests import test_error_reports as error_reports
from tests.pdf_factory import build_statement, encrypt_pdf, make_rows
from tests.test_error_reports import KEY, PASSWORD, Boom, _everything_reported

pytestmark = pytest.mark.django_db

# The error-report fixtures, shared with the admin's tests.
superuser = error_reports.superuser
reports = error_reports.reports


def _broken(*args, **kwargs):
    raise Boom("db down")


def test_upload_with_a_password(reports, monkeypatch):
    client, seen = reports
    monkeypatch.setattr(pipeline, "run_stages", _broken)
    data = encrypt_pdf(build_statement(make_rows(3)), PASSWORD)
    response = client.post(reverse("expense_ai:statement_upload"),
                           {"file": SimpleUploadedFile("jan.pdf", data), "password": PASSWORD, "remember": "on"})
    assert response.status_code == 500
    assert PASSWORD not in _everything_reported(seen)


def test_unlock_with_a_password(reports, superuser, monkeypatch):
    client, seen = reports
    locked = import_statement(superuser, encrypt_pdf(build_statement(make_rows(3)), PASSWORD), filename="l.pdf")
    assert locked.error_stage == "password_decrypt"
    monkeypatch.setattr(pipeline, "run_stages", _broken)
    response = client.post(reverse("expense_ai:statement_unlock", args=[locked.pk]), {"password": PASSWORD})
    assert response.status_code == 500
    assert PASSWORD not in _everything_reported(seen)


def test_the_password_book(reports, monkeypatch):
    client, seen = reports
    monkeypatch.setattr(StatementPassword, "save", _broken)
    response = client.post(reverse("expense_ai:settings_password_add"), {"password": PASSWORD})
    assert response.status_code == 500
    assert PASSWORD not in _everything_reported(seen)


def test_the_api_keys(reports, monkeypatch):
    client, seen = reports
    monkeypatch.setattr(get_ai_settings_model(), "save", _broken)
    response = client.post(reverse("expense_ai:settings_keys"), {"active_parser_provider": "system",
                                                                 "openai_key": KEY, "claude_key": KEY})
    assert response.status_code == 500
    assert KEY not in _everything_reported(seen)
