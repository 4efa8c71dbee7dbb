"""No password or API key sent to the API appears on Django's technical 500 page or in the error mail."""

from __future__ import annotations

import sys

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.signals import got_request_exception
from django.views.debug import ExceptionReporter

from django_expense_ai.models import StatementPassword
from django_expense_ai.models.swappable import get_ai_settings_model

from .api_helpers import BASE, client_for

pytestmark = pytest.mark.django_db
SECRET = "sk-SECRET-pa55-do-not-show"


class Boom(RuntimeError):
    pass


def _boom(*args, **kwargs):
    raise Boom("unexpected failure")


def _reports(client, method, url, data, fmt):
    """Call the API, let it fail with an unexpected error, render what Django would show and mail."""
    seen = {}

    def keep(sender, request, **kwargs):
        seen["request"] = request
        seen["exc_info"] = sys.exc_info()

    got_request_exception.connect(keep)
    try:
        client.raise_request_exception = False
        response = getattr(client, method)(url, data, format=fmt)
    finally:
        got_request_exception.disconnect(keep)
    assert response.status_code == 500 and "exc_info" in seen
    reporter = ExceptionReporter(seen["request"], *seen["exc_info"], is_email=True)
    return reporter.get_traceback_html(), reporter.get_traceback_text()


@pytest.fixture
def api(user, settings):
    # In production (DEBUG off) Django's filter hides what views mark sensitive, on the 500 page
    # a host may log and in the mail to ADMINS; with DEBUG on it deliberately shows everything.
    settings.DEBUG = False
    return client_for(user)


def test_statement_upload_password(api, monkeypatch):
    monkeypatch.setattr("django_expense_ai.api.views.import_statement", _boom)
    data = {"file": SimpleUploadedFile("s.pdf", b"%PDF-1.4 whatever"), "password": SECRET}
    for page in _reports(api, "post", BASE + "statements/", data, "multipart"):
        assert "Boom" in page and SECRET not in page


def test_statement_password_row(api, monkeypatch):
    monkeypatch.setattr(StatementPassword, "full_clean", _boom)
    for page in _reports(api, "post", BASE + "statement-passwords/", {"password": SECRET}, "json"):
        assert "Boom" in page and SECRET not in page


def test_ai_keys(api, monkeypatch):
    monkeypatch.setattr(get_ai_settings_model(), "full_clean", _boom)
    for page in _reports(api, "patch", BASE + "settings/ai/", {"openai_api_key": SECRET}, "json"):
        assert "Boom" in page and SECRET not in page
