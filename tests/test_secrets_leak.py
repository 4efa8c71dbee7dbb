"""No secret leaks: not in the database, repr/str, admin pages, logs or exceptions."""

from __future__ import annotations

import io
import logging

import pytest
from cryptography.fernet import Fernet
from django.db import connection
from django.test import override_settings
from django.urls import reverse

from django_expense_ai.exceptions import DecryptionError
from django_expense_ai.maintenance.rotation import rotate_secrets
from django_expense_ai.models import Account, StatementPassword, UploadedFile
from django_expense_ai.models.swappable import get_ai_settings_model
from django_expense_ai.statements.passwords import candidate_passwords, record_password_success

pytestmark = pytest.mark.django_db

PASSWORD = "Zebra-Quartz-7781"
API_KEYS = {"openai": "sk-proj-LEAKCHECK-openai-123", "claude": "sk-ant-LEAKCHECK-456", "gemini": "AIzaLEAKCHECK789"}
SECRETS = [PASSWORD, *API_KEYS.values()]


def assert_no_secret(text: str | bytes, *tokens: bytes) -> None:
    blob = text if isinstance(text, bytes) else text.encode()
    for secret in SECRETS:
        assert secret.encode() not in blob, f"plaintext {secret[:4]}... leaked"
    for token in tokens:
        assert token not in blob, "a Fernet token leaked"
        assert token[:40] not in blob, "part of a Fernet token leaked"


def raw_row(table: str, pk) -> bytes:
    """Every column of one row, as the database stores it, joined into bytes."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)} WHERE id = %s", [pk])
        row = cursor.fetchone()
    parts = []
    for value in row:
        if isinstance(value, (bytes, bytearray, memoryview)):
            parts.append(bytes(value))
        else:
            parts.append(str(value).encode())
    return b"\x00".join(parts)


@pytest.fixture
def account(user):
    return Account.objects.create(user=user, name="HDFC Savings")


@pytest.fixture
def password(user, account):
    pw = StatementPassword(user=user, account=account, password_hint="mother's maiden name",
                           file_pattern=r"hdfc_.*\.pdf", is_default=True)
    pw.set_password(PASSWORD)
    pw.save()
    return StatementPassword.objects.get(pk=pw.pk)


@pytest.fixture
def ai_settings(user):
    ai = get_ai_settings_model().objects.create(user=user)
    for provider, key in API_KEYS.items():
        ai.set_api_key(provider, key)
    ai.save()
    return get_ai_settings_model().objects.get(pk=ai.pk)


def tokens_of(password=None, ai_settings=None) -> list[bytes]:
    out = []
    if password is not None:
        out.append(bytes(password.encrypted_password))
    if ai_settings is not None:
        out += [bytes(getattr(ai_settings, f)) for f in ("openai_api_key", "claude_api_key", "gemini_api_key")]
    return out


# -- database ----------------------------------------------------------------


def test_raw_database_rows_hold_no_plaintext(password, ai_settings):
    assert_no_secret(raw_row(StatementPassword._meta.db_table, password.pk))
    assert_no_secret(raw_row(get_ai_settings_model()._meta.db_table, ai_settings.pk))
    # ... but the secrets are there, encrypted, and readable with the key.
    assert password.get_password() == PASSWORD
    assert all(ai_settings.get_api_key(p) == k for p, k in API_KEYS.items())


def test_raw_rows_stay_clean_after_rotation(password, ai_settings):
    new = Fernet.generate_key().decode()
    with override_settings(STATEMENT_PASSWORD_KEY=[new, *_configured()]):
        rotate_secrets()
        assert_no_secret(raw_row(StatementPassword._meta.db_table, password.pk))
        assert_no_secret(raw_row(get_ai_settings_model()._meta.db_table, ai_settings.pk))


def _configured() -> list[str]:
    from django.conf import settings

    return list(settings.STATEMENT_PASSWORD_KEY)


# -- repr / str / exceptions ---------------------------------------------------


def test_repr_and_str_hold_no_secret(password, ai_settings):
    tokens = tokens_of(password, ai_settings)
    for obj in (password, ai_settings):
        assert_no_secret(repr(obj), *tokens)
        assert_no_secret(str(obj), *tokens)


def test_decryption_error_holds_no_secret(password, ai_settings, settings):
    tokens = tokens_of(password, ai_settings)
    settings.STATEMENT_PASSWORD_KEY = [Fernet.generate_key().decode()]
    errors = []
    with pytest.raises(DecryptionError) as excinfo:
        password.get_password()
    errors.append(excinfo.value)
    for provider in API_KEYS:
        with pytest.raises(DecryptionError) as excinfo:
            ai_settings.get_api_key(provider)
        errors.append(excinfo.value)
    for err in errors:
        assert_no_secret(str(err), *tokens)
        assert_no_secret(repr(err), *tokens)
        assert_no_secret(repr(err.args), *tokens)
        assert err.pk is not None


# -- logs ----------------------------------------------------------------------


def test_log_records_hold_no_secret(caplog, user, account):
    caplog.set_level(logging.DEBUG)
    pw = StatementPassword(user=user, account=account, file_pattern=r"hdfc_.*")
    pw.set_password(PASSWORD)
    pw.save()
    ai = get_ai_settings_model().objects.create(user=user)
    for provider, key in API_KEYS.items():
        ai.set_api_key(provider, key)
    ai.save()
    assert pw.get_password() == PASSWORD
    upload = UploadedFile.objects.create(user=user, account=account, filename="hdfc_1.pdf")
    for candidate in candidate_passwords(user, "hdfc_1.pdf", account=account):
        record_password_success(candidate, upload)
    with override_settings(STATEMENT_PASSWORD_KEY=[Fernet.generate_key().decode(), *_configured()]):
        rotate_secrets(stdout=io.StringIO(), progress=True)
    with override_settings(STATEMENT_PASSWORD_KEY=[Fernet.generate_key().decode()]):
        rotate_secrets()  # every token unreadable now: warnings name rows only
        with pytest.raises(DecryptionError):
            StatementPassword.objects.get(pk=pw.pk).get_password()
    tokens = tokens_of(StatementPassword.objects.get(pk=pw.pk), get_ai_settings_model().objects.get(pk=ai.pk))
    assert any("Cannot rotate" in r.getMessage() for r in caplog.records)
    for record in caplog.records:
        assert_no_secret(record.getMessage(), *tokens)
        assert_no_secret(repr(record.args), *tokens)


def test_sql_debug_log_never_sees_plaintext(caplog, user):
    """Even with SQL logging on, only tokens go to the database."""
    caplog.set_level(logging.DEBUG, logger="django.db.backends")
    connection.force_debug_cursor = True
    try:
        pw = StatementPassword(user=user)
        pw.set_password(PASSWORD)
        pw.save()
        ai = get_ai_settings_model().objects.create(user=user)
        ai.set_api_key("openai", API_KEYS["openai"])
        ai.save()
    finally:
        connection.force_debug_cursor = False
    assert any("finance_statement_passwords" in r.getMessage() for r in caplog.records)
    for record in caplog.records:
        assert_no_secret(record.getMessage())


# -- admin ---------------------------------------------------------------------


@pytest.fixture
def admin_client_su(client, django_user_model):
    admin = django_user_model.objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(admin)
    return client


def _page(client, url) -> bytes:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content


def test_statement_password_admin_pages(admin_client_su, password):
    tokens = tokens_of(password)
    changelist = _page(admin_client_su, reverse("admin:expense_ai_statementpassword_changelist"))
    change = _page(admin_client_su, reverse("admin:expense_ai_statementpassword_change", args=[password.pk]))
    for page in (changelist, change):
        assert_no_secret(page, *tokens)
    # What the admin does show: whether one is set, the hint and usage stats.
    assert b"mother&#x27;s maiden name" in changelist
    assert b"password set" in changelist.lower() or b"Password set" in changelist
    assert b"icon-yes.svg" in changelist
    assert b"success" in change.lower()
    # The input is write-only: a password field with no value.
    assert b'type="password" name="password"' in change
    assert b'name="password" value=' not in change
    assert b'name="encrypted_password"' not in change


def test_ai_settings_admin_pages(admin_client_su, ai_settings):
    model = get_ai_settings_model()
    opts = model._meta
    tokens = tokens_of(None, ai_settings)
    changelist = _page(admin_client_su, reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
    change = _page(admin_client_su, reverse(f"admin:{opts.app_label}_{opts.model_name}_change",
                                            args=[ai_settings.pk]))
    for page in (changelist, change):
        assert_no_secret(page, *tokens)
    assert changelist.count(b"icon-yes.svg") >= 3  # openai/claude/gemini: set
    for provider in API_KEYS:
        assert f'type="password" name="{provider}_key"'.encode() in change
        assert f'name="{provider}_key" value='.encode() not in change
    for column in ("openai_api_key", "claude_api_key", "gemini_api_key"):
        assert f'name="{column}"'.encode() not in change


def test_admin_add_stores_only_a_token_and_never_echoes(admin_client_su, user, account):
    url = reverse("admin:expense_ai_statementpassword_add")
    # An invalid pattern re-renders the form: the password must not come back in it.
    response = admin_client_su.post(url, {"user": user.pk, "account": account.pk, "password": PASSWORD,
                                          "file_pattern": "(unclosed", "password_hint": "hint"})
    assert response.status_code == 200
    assert b"regular expression" in response.content
    assert_no_secret(response.content)
    assert not StatementPassword.objects.exists()

    response = admin_client_su.post(url, {"user": user.pk, "account": account.pk, "password": PASSWORD,
                                          "file_pattern": r"hdfc_.*\.pdf", "password_hint": "hint"})
    assert response.status_code == 302
    pw = StatementPassword.objects.get()
    assert pw.get_password() == PASSWORD
    assert_no_secret(raw_row(StatementPassword._meta.db_table, pw.pk))
    follow = admin_client_su.get(response["Location"])
    assert_no_secret(follow.content, bytes(pw.encrypted_password))


def test_admin_change_with_empty_password_keeps_the_stored_one(admin_client_su, password):
    url = reverse("admin:expense_ai_statementpassword_change", args=[password.pk])
    response = admin_client_su.post(url, {"user": password.user_id, "account": password.account_id,
                                          "password": "", "password_hint": "new hint",
                                          "file_pattern": password.file_pattern, "is_default": "on"})
    assert response.status_code == 302, response.content[:2000]
    fresh = StatementPassword.objects.get(pk=password.pk)
    assert fresh.password_hint == "new hint"
    assert fresh.get_password() == PASSWORD


def test_admin_ai_settings_post_encrypts(admin_client_su, user):
    model = get_ai_settings_model()
    opts = model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_add")
    response = admin_client_su.post(url, {"user": user.pk, "active_parser_provider": "system",
                                          "openai_model": "m", "claude_model": "m", "gemini_model": "m",
                                          "openai_key": API_KEYS["openai"], "claude_key": "", "gemini_key": ""})
    assert response.status_code == 302, response.content[:3000]
    ai = model.objects.get(user=user)
    assert ai.get_api_key("openai") == API_KEYS["openai"]
    assert not ai.has_api_key("claude")
    assert_no_secret(raw_row(opts.db_table, ai.pk))


def test_ai_settings_admin_add_stores_the_key_encrypted(admin_client_su, user):
    opts = get_ai_settings_model()._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_add")
    response = admin_client_su.post(url, {
        "user": user.pk, "active_parser_provider": "openai", "openai_model": "gpt-x", "claude_model": "c",
        "gemini_model": "g", "openai_key": API_KEYS["openai"], "claude_key": "", "gemini_key": "",
    })
    assert response.status_code == 302
    row = get_ai_settings_model().objects.get(user=user)
    assert row.get_api_key("openai") == API_KEYS["openai"] and not row.has_api_key("claude")
    change = _page(admin_client_su, reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[row.pk]))
    assert b"a key is set (hidden)" in change
