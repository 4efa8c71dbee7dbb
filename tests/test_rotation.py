"""Key rotation: the rotate_secrets service and ``manage.py expense_ai_rotate_keys``."""

from __future__ import annotations

import io
import logging

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import override_settings

from django_expense_ai import crypto
from django_expense_ai.maintenance import rotation as secrets
from django_expense_ai.maintenance.rotation import rotate_secrets
from django_expense_ai.management.commands.expense_ai_rotate_keys import EXIT_UNREADABLE
from django_expense_ai.management.commands.expense_ai_rotate_keys import Command as RotateCommand
from django_expense_ai.models import StatementPassword
from django_expense_ai.models.swappable import get_ai_settings_model

pytestmark = pytest.mark.django_db

K1, K2, K3 = (Fernet.generate_key().decode() for _ in range(3))
AI_FIELDS = ("openai_api_key", "claude_api_key", "gemini_api_key")


def raw_column(model, field, pk) -> bytes | None:
    """The column exactly as stored, read past the ORM."""
    table = model._meta.db_table
    column = connection.ops.quote_name(model._meta.get_field(field).column)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {connection.ops.quote_name(table)} WHERE id = %s", [pk])
        value = cursor.fetchone()[0]
    return None if value is None else bytes(value)


def make_passwords(django_user_model, count, *, prefix="pw"):
    user, _ = django_user_model.objects.get_or_create(username=f"owner-{prefix}")
    rows = []
    for i in range(count):
        pw = StatementPassword(user=user, password_hint=f"{prefix}{i}")
        pw.set_password(f"{prefix}-plain-{i}")
        pw.save()
        rows.append(pw)
    return rows


def make_ai_settings(user, keys):
    ai = get_ai_settings_model().objects.create(user=user)
    for provider, value in keys.items():
        ai.set_api_key(provider, value)
    ai.save()
    return ai


def all_tokens():
    """(model, field, pk, raw token) for every stored secret."""
    out = []
    for model, fields in secrets.secret_columns():
        for pk in model._base_manager.values_list("pk", flat=True):
            for field in fields:
                token = raw_column(model, field, pk)
                if token:
                    out.append((model, field, pk, token))
    return out


def test_two_keys_rotation(django_user_model, user):
    with override_settings(STATEMENT_PASSWORD_KEY=[K1]):
        passwords = make_passwords(django_user_model, 5)
        ai = make_ai_settings(user, {"openai": "sk-openai-1", "gemini": "gm-key-1"})  # claude unset

    with override_settings(STATEMENT_PASSWORD_KEY=[K2, K1]):
        # Old rows stay readable before, during and after rotation.
        assert [StatementPassword.objects.get(pk=p.pk).get_password() for p in passwords] == [
            f"pw-plain-{i}" for i in range(5)
        ]
        assert not any(crypto.is_current(t) for *_x, t in all_tokens())
        out = io.StringIO()
        report = rotate_secrets(batch_size=2, stdout=out)
        assert report.ok
        assert report.rotated == 7 and report.current == 0 and report.unreadable == 0
        by_label = {f.label: f for f in report.fields}
        assert by_label["expense_ai.StatementPassword.encrypted_password"].rotated == 5
        assert by_label["expense_ai.AISettings.openai_api_key"].rotated == 1
        assert by_label["expense_ai.AISettings.claude_api_key"].rotated == 0
        assert "expense_ai.StatementPassword.encrypted_password: 5 rotated, 0 already current, 0 unreadable" in (
            out.getvalue()
        )
        tokens = all_tokens()
        assert len(tokens) == 7
        assert all(crypto.is_current(t) for *_x, t in tokens)
        assert get_ai_settings_model().objects.get(pk=ai.pk).get_api_key("claude") is None

        again = rotate_secrets(batch_size=2)
        assert again.rotated == 0 and again.current == 7

    # The old key can go: everything reads with the new key alone.
    with override_settings(STATEMENT_PASSWORD_KEY=[K2]):
        assert [StatementPassword.objects.get(pk=p.pk).get_password() for p in passwords] == [
            f"pw-plain-{i}" for i in range(5)
        ]
        fresh = get_ai_settings_model().objects.get(pk=ai.pk)
        assert fresh.get_api_key("openai") == "sk-openai-1"
        assert fresh.get_api_key("gemini") == "gm-key-1"


def test_three_keys_rotation(django_user_model, user, other_user):
    with override_settings(STATEMENT_PASSWORD_KEY=[K1]):
        oldest = make_passwords(django_user_model, 3, prefix="one")
        make_ai_settings(user, {"claude": "claude-1"})
    with override_settings(STATEMENT_PASSWORD_KEY=[K2, K1]):
        middle = make_passwords(django_user_model, 3, prefix="two")
        make_ai_settings(other_user, {"openai": "openai-2"})
    with override_settings(STATEMENT_PASSWORD_KEY=[K3, K2, K1]):
        newest = make_passwords(django_user_model, 2, prefix="three")
        report = rotate_secrets(batch_size=3)
        assert (report.rotated, report.current, report.unreadable) == (8, 2, 0)
        assert all(crypto.is_current(t) for *_x, t in all_tokens())
        assert rotate_secrets().rotated == 0
    with override_settings(STATEMENT_PASSWORD_KEY=[K3]):
        for rows, prefix in ((oldest, "one"), (middle, "two"), (newest, "three")):
            assert [StatementPassword.objects.get(pk=p.pk).get_password() for p in rows] == [
                f"{prefix}-plain-{i}" for i in range(len(rows))
            ]
        model = get_ai_settings_model()
        assert model.objects.get(user=user).get_api_key("claude") == "claude-1"
        assert model.objects.get(user=other_user).get_api_key("openai") == "openai-2"


def test_rotation_resumes_after_interruption(django_user_model):
    with override_settings(STATEMENT_PASSWORD_KEY=[K1]):
        rows = make_passwords(django_user_model, 10)

    class Interrupt(Exception):
        pass

    class StopAfterFirstBatch(io.StringIO):
        def write(self, text):
            if "rows checked" in text:
                raise Interrupt
            return super().write(text)

    with override_settings(STATEMENT_PASSWORD_KEY=[K2, K1]):
        with pytest.raises(Interrupt):
            rotate_secrets(batch_size=4, stdout=StopAfterFirstBatch(), progress=True)
        done = [crypto.is_current(raw_column(StatementPassword, "encrypted_password", p.pk)) for p in rows]
        assert done == [True] * 4 + [False] * 6  # the first batch committed, the rest untouched
        report = rotate_secrets(batch_size=4)
        assert (report.rotated, report.current) == (6, 4)
        assert all(crypto.is_current(t) for *_x, t in all_tokens())


def test_unreadable_token_is_reported_and_left_untouched(django_user_model, caplog):
    with override_settings(STATEMENT_PASSWORD_KEY=[K1]):
        good = make_passwords(django_user_model, 3)
    with override_settings(STATEMENT_PASSWORD_KEY=[K3]):  # a key nobody will configure again
        (lost,) = make_passwords(django_user_model, 1, prefix="lost")
    lost_token = raw_column(StatementPassword, "encrypted_password", lost.pk)

    with override_settings(STATEMENT_PASSWORD_KEY=[K2, K1]), caplog.at_level(logging.WARNING):
        report = rotate_secrets()
    assert not report.ok
    assert report.rotated == 3 and report.unreadable == 1
    (field_report,) = [f for f in report.fields if f.unreadable]
    assert field_report.unreadable == [lost.pk]
    assert raw_column(StatementPassword, "encrypted_password", lost.pk) == lost_token
    with override_settings(STATEMENT_PASSWORD_KEY=[K2]):
        assert StatementPassword.objects.get(pk=good[0].pk).get_password() == "pw-plain-0"
    assert f"#{lost.pk}" in caplog.text
    assert lost_token.decode() not in caplog.text


def test_command_output_and_success(django_user_model):
    with override_settings(STATEMENT_PASSWORD_KEY=[K1]):
        make_passwords(django_user_model, 3)
    with override_settings(STATEMENT_PASSWORD_KEY=[K2, K1]):
        out = io.StringIO()
        call_command("expense_ai_rotate_keys", "--batch-size", "2", stdout=out)
        text = out.getvalue()
        assert "expense_ai.StatementPassword.encrypted_password: 3 rotated, 0 already current, 0 unreadable" in text
        assert "expense_ai.AISettings.openai_api_key: 0 rotated" in text
        assert "Done: 3 rotated" in text
        out = io.StringIO()
        call_command("expense_ai_rotate_keys", stdout=out)
        assert "3 already current" in out.getvalue()


def test_command_progress_lines_at_verbosity_2(django_user_model):
    with override_settings(STATEMENT_PASSWORD_KEY=[K1]):
        make_passwords(django_user_model, 3)
    with override_settings(STATEMENT_PASSWORD_KEY=[K2, K1]):
        out = io.StringIO()
        call_command("expense_ai_rotate_keys", "--batch-size", "2", verbosity=2, stdout=out)
    assert "expense_ai.StatementPassword: 2 rows checked" in out.getvalue()
    assert "expense_ai.StatementPassword: 3 rows checked" in out.getvalue()


def test_command_fails_on_unreadable_token(django_user_model):
    with override_settings(STATEMENT_PASSWORD_KEY=[K3]):
        (lost,) = make_passwords(django_user_model, 1, prefix="lost")
    with override_settings(STATEMENT_PASSWORD_KEY=[K1]):
        make_passwords(django_user_model, 2)
    with override_settings(STATEMENT_PASSWORD_KEY=[K2, K1]):
        out = io.StringIO()
        with pytest.raises(CommandError) as excinfo:
            call_command("expense_ai_rotate_keys", stdout=out)
    assert excinfo.value.returncode == EXIT_UNREADABLE
    assert "could not be decrypted" in str(excinfo.value)
    assert f"1 unreadable (row ids: {lost.pk})" in out.getvalue()
    assert "2 rotated" in out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_command_exit_status_from_the_command_line(django_user_model, capsys):
    with override_settings(STATEMENT_PASSWORD_KEY=[K3]):
        (lost,) = make_passwords(django_user_model, 1, prefix="lost")
    with override_settings(STATEMENT_PASSWORD_KEY=[K2, K1]):
        with pytest.raises(SystemExit) as excinfo:
            RotateCommand().run_from_argv(["manage.py", "expense_ai_rotate_keys"])
    assert excinfo.value.code == EXIT_UNREADABLE
    captured = capsys.readouterr()
    assert f"row ids: {lost.pk}" in captured.out
    assert "CommandError" in captured.err


def test_command_reports_missing_key_as_command_error(settings):
    settings.STATEMENT_PASSWORD_KEY = None
    with pytest.raises(CommandError, match="STATEMENT_PASSWORD_KEY is not set"):
        call_command("expense_ai_rotate_keys", stdout=io.StringIO())


def test_command_rejects_bad_batch_size():
    with pytest.raises(CommandError, match="at least 1"):
        call_command("expense_ai_rotate_keys", "--batch-size", "0", stdout=io.StringIO())


def test_secret_columns_follow_the_active_ai_settings_model(monkeypatch):
    """A swapped AISettings model is the one rotated (looked up at call time)."""

    class Meta:
        concrete_fields = [type("F", (), {"name": n})() for n in ("id", "user", "openai_api_key", "gemini_api_key")]

    class HostAISettings:
        _meta = Meta
        API_KEY_FIELDS = {"openai": "openai_api_key", "claude": "claude_api_key", "gemini": "gemini_api_key"}

    monkeypatch.setattr("django_expense_ai.models.swappable.get_ai_settings_model", lambda: HostAISettings)
    columns = dict(secrets.secret_columns())
    assert columns[StatementPassword] == ("encrypted_password",)
    # Only the columns the host model really has (E003 reports the missing one).
    assert columns[HostAISettings] == ("openai_api_key", "gemini_api_key")


def test_default_ai_settings_columns():
    assert dict(secrets.secret_columns())[get_ai_settings_model()] == AI_FIELDS
