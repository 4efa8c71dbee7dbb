"""The settings page: write-only keys, test my keys, the AI opt-in, statement passwords, preferences."""

from __future__ import annotations

import pytest
from django.urls import reverse

from django_expense_ai.exceptions import ProviderAuthError
from django_expense_ai.models import Account, StatementPassword
from django_expense_ai.models.swappable import ai_settings_for, get_ai_settings_model, preferences_for
from django_expense_ai.providers.fake import FakeProvider

pytestmark = pytest.mark.django_db

KEY = "sk-web-page-secret-0123456789"


def test_keys_are_write_only(client, user):
    client.force_login(user)

    response = client.post(reverse("expense_ai:settings_keys"),
                           {"active_parser_provider": "system", "openai_key": KEY}, follow=True)

    row = ai_settings_for(user)
    assert row.get_api_key("openai") == KEY and KEY.encode() not in bytes(row.openai_api_key)
    page = response.content.decode()
    assert KEY not in page and "key saved" in page
    # Empty keeps the key, "-" clears it.
    client.post(reverse("expense_ai:settings_keys"), {"active_parser_provider": "system", "openai_key": ""})
    assert ai_settings_for(user).get_api_key("openai") == KEY
    client.post(reverse("expense_ai:settings_keys"), {"active_parser_provider": "system", "openai_key": "-"})
    assert ai_settings_for(user).get_api_key("openai") is None


def test_test_my_keys_shows_the_result_per_provider(client, user):
    row = ai_settings_for(user)
    row.set_api_key("openai", KEY)
    row.save()
    get_ai_settings_model().objects.filter(pk=row.pk).update(active_parser_provider="fake")
    FakeProvider.queue(ProviderAuthError("The key was refused; check the key.", provider="fake"))
    client.force_login(user)

    response = client.post(reverse("expense_ai:settings_test_keys"), HTTP_HX_REQUEST="true")

    page = response.content.decode()
    assert response.status_code == 200 and "<html" not in page
    assert "failed (auth)" in page and "The key was refused" in page
    assert KEY not in page
    stored = ai_settings_for(user).api_key_test_status
    assert stored["fake"]["status"] == "failed" and "openai" in stored


def test_the_opt_in_says_what_is_sent_to_whom_and_can_be_withdrawn(client, user):
    row = ai_settings_for(user)
    row.active_parser_provider = "claude"
    row.save()
    client.force_login(user)

    page = client.get(reverse("expense_ai:settings")).content.decode()
    assert "Anthropic" in page and "account and card numbers masked" in page and "You have not opted in" in page

    client.post(reverse("expense_ai:settings_consent"), {"consent": "in"})
    assert ai_settings_for(user).ai_opt_in_at is not None
    client.post(reverse("expense_ai:settings_consent"), {"consent": "out"})
    assert ai_settings_for(user).ai_opt_in_at is None


def test_statement_passwords_are_added_listed_without_the_password_and_deleted(client, user):
    account = Account.objects.create(user=user, name="Savings", currency="USD")
    client.force_login(user)

    response = client.post(reverse("expense_ai:settings_password_add"), {
        "password": "hunter2-statement", "password_hint": "mum's birthday", "file_pattern": r"savings_\d+\.pdf",
        "account": account.pk, "is_default": "on"}, follow=True)

    entry = StatementPassword.objects.get(user=user)
    assert entry.get_password() == "hunter2-statement" and entry.account == account and entry.is_default
    page = response.content.decode()
    assert "hunter2-statement" not in page and "mum&#x27;s birthday" in page and r"savings_\d+\.pdf" in page

    bad = client.post(reverse("expense_ai:settings_password_add"), {"password": "x", "file_pattern": "(a+)+$"})
    assert bad.status_code == 400 and StatementPassword.objects.filter(user=user).count() == 1

    client.post(reverse("expense_ai:settings_password_delete", args=[entry.pk]))
    assert not StatementPassword.objects.filter(user=user).exists()


def test_another_users_password_cannot_be_deleted(client, user, other_user):
    theirs = StatementPassword(user=other_user, password_hint="bob hint")
    theirs.set_password("bobpw")
    theirs.save()
    client.force_login(user)

    assert client.post(reverse("expense_ai:settings_password_delete", args=[theirs.pk])).status_code == 404
    assert StatementPassword.objects.filter(pk=theirs.pk).exists()
    assert "bob hint" not in client.get(reverse("expense_ai:settings")).content.decode()


def test_preferences_are_saved_and_the_sidebar_follows_them(client, user):
    client.force_login(user)
    response = client.post(reverse("expense_ai:settings_preferences"), {
        "default_currency": "eur", "sidebar_collapsed": "on", "quick_add_mode": "normal",
        "default_chat_parser": "system"}, follow=True)

    prefs = preferences_for(user)
    assert (prefs.default_currency, prefs.sidebar_collapsed) == ("EUR", True)
    assert 'class="ea-app ea-collapsed"' in response.content.decode()
    client.post(reverse("expense_ai:sidebar_toggle"), {"next": "https://evil.example/"})
    prefs.refresh_from_db()
    assert prefs.sidebar_collapsed is False
    assert 'class="ea-app"' in client.get(reverse("expense_ai:chat")).content.decode()
    bad = client.post(reverse("expense_ai:settings_preferences"), {"default_currency": "XXZ",
                                                                   "quick_add_mode": "normal",
                                                                   "default_chat_parser": "system"})
    assert bad.status_code == 400
