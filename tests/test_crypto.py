"""crypto.py: round trip, MultiFernet key lists, errors, and the key system checks."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core import checks

from django_expense_ai import crypto
from django_expense_ai.checks import check_statement_password_key
from django_expense_ai.exceptions import ConfigurationError, DecryptionError, ExpenseAIError
from django_expense_ai.models import StatementPassword
from django_expense_ai.models.swappable import get_ai_settings_model

PLAIN = "Corr3ct-Horse-Battery-Staple"


def new_key() -> str:
    return Fernet.generate_key().decode()


def test_round_trip():
    token = crypto.encrypt(PLAIN)
    assert isinstance(token, bytes)
    assert PLAIN.encode() not in token
    assert crypto.decrypt(token) == PLAIN
    # The ORM hands BinaryField values back as memoryview on PostgreSQL, str tokens happen too.
    assert crypto.decrypt(memoryview(token)) == PLAIN
    assert crypto.decrypt(token.decode()) == PLAIN


def test_unicode_round_trip():
    assert crypto.decrypt(crypto.encrypt("pässwörd-₹-密码")) == "pässwörd-₹-密码"


def test_each_encryption_is_fresh():
    assert crypto.encrypt(PLAIN) != crypto.encrypt(PLAIN)


def test_encrypt_refuses_non_str():
    with pytest.raises(TypeError):
        crypto.encrypt(b"bytes")  # type: ignore[arg-type]


def test_single_key_string_is_accepted(settings):
    settings.STATEMENT_PASSWORD_KEY = new_key()
    assert crypto.decrypt(crypto.encrypt(PLAIN)) == PLAIN
    assert len(crypto.configured_keys()) == 1


def test_key_list_newest_first(settings):
    old, new = new_key(), new_key()
    settings.STATEMENT_PASSWORD_KEY = [old]
    old_token = crypto.encrypt(PLAIN)
    settings.STATEMENT_PASSWORD_KEY = [new, old]
    assert crypto.decrypt(old_token) == PLAIN
    assert not crypto.is_current(old_token)
    new_token = crypto.encrypt(PLAIN)
    assert crypto.is_current(new_token)
    Fernet(new.encode()).decrypt(new_token)  # encrypted with the first key
    rotated = crypto.rotate(old_token)
    assert crypto.is_current(rotated)
    settings.STATEMENT_PASSWORD_KEY = [new]
    assert crypto.decrypt(rotated) == PLAIN


def test_wrong_key_raises_library_error_naming_the_row(settings, user):
    pw = StatementPassword(user=user)
    pw.set_password(PLAIN)
    pw.save()
    settings.STATEMENT_PASSWORD_KEY = [new_key()]
    with pytest.raises(DecryptionError) as excinfo:
        StatementPassword.objects.get(pk=pw.pk).get_password()
    err = excinfo.value
    assert not isinstance(err, InvalidToken)
    assert isinstance(err, ExpenseAIError)
    assert isinstance(err.__cause__, InvalidToken)  # chained, for debugging
    assert err.pk == pw.pk
    assert err.model == "expense_ai.StatementPassword"
    assert err.field == "encrypted_password"
    message = str(err)
    assert f"#{pw.pk}" in message
    assert "expense_ai.StatementPassword" in message
    assert "key" in message and ("wrong" in message or "missing" in message)
    assert PLAIN not in message
    assert bytes(pw.encrypted_password).decode() not in message


def test_wrong_key_on_api_key(settings, user):
    ai = get_ai_settings_model().objects.create(user=user)
    ai.set_api_key("openai", "sk-live-abcdef")
    ai.save()
    settings.STATEMENT_PASSWORD_KEY = [new_key()]
    with pytest.raises(DecryptionError) as excinfo:
        get_ai_settings_model().objects.get(pk=ai.pk).get_api_key("openai")
    assert excinfo.value.field == "openai_api_key"
    assert f"#{ai.pk}" in str(excinfo.value)


def test_garbage_token_is_decryption_error():
    with pytest.raises(DecryptionError):
        crypto.decrypt(b"not a fernet token")
    with pytest.raises(DecryptionError):
        crypto.rotate(b"not a fernet token", model="m", pk=1, field="f")


@pytest.mark.parametrize("value", [None, "", [], ()])
def test_missing_key_is_configuration_error(settings, value):
    settings.STATEMENT_PASSWORD_KEY = value
    with pytest.raises(ConfigurationError, match="Fernet.generate_key"):
        crypto.encrypt(PLAIN)


def test_malformed_key_names_position_not_value(settings):
    settings.STATEMENT_PASSWORD_KEY = [new_key(), "not-a-key"]
    with pytest.raises(ConfigurationError) as excinfo:
        crypto.configured_keys()
    assert "STATEMENT_PASSWORD_KEY[1]" in str(excinfo.value)
    assert "not-a-key" not in str(excinfo.value)


# -- system checks -----------------------------------------------------------


def _key_errors() -> list[checks.CheckMessage]:
    return [m for m in checks.run_checks(tags=[checks.Tags.security]) if m.id.startswith("expense_ai.E00")]


def test_check_passes_with_valid_keys(settings):
    settings.STATEMENT_PASSWORD_KEY = [new_key(), new_key()]
    assert check_statement_password_key() == []
    assert _key_errors() == []


def test_check_e001_when_setting_absent(settings):
    del settings.STATEMENT_PASSWORD_KEY
    errors = _key_errors()
    assert [e.id for e in errors] == ["expense_ai.E001"]
    assert "Fernet.generate_key()" in errors[0].hint
    assert errors[0].level == checks.ERROR


@pytest.mark.parametrize("value", [None, "", []])
def test_check_e001_when_empty(settings, value):
    settings.STATEMENT_PASSWORD_KEY = value
    assert [e.id for e in check_statement_password_key()] == ["expense_ai.E001"]


@pytest.mark.parametrize("value", ["too-short", ["s3G0wFZ3sXwFAf6J_dokkwID3MfbxH1L61b4VLBqcBg=", "bad"], [42]])
def test_check_e002_when_malformed(settings, value):
    settings.STATEMENT_PASSWORD_KEY = value
    errors = check_statement_password_key()
    assert [e.id for e in errors] == ["expense_ai.E002"]
    assert "Fernet.generate_key()" in errors[0].hint
    # The message names the position, never a key (or what was meant to be one).
    for item in value if isinstance(value, list) else [value]:
        assert str(item) not in errors[0].msg


def test_checks_never_generate_a_key(settings):
    settings.STATEMENT_PASSWORD_KEY = None
    check_statement_password_key()
    with pytest.raises(ConfigurationError):
        crypto.configured_keys()
    assert settings.STATEMENT_PASSWORD_KEY is None
