"""The foundation: settings docs, currencies, categories, row-level access, admin."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command

from django_expense_ai.conf import DEFAULTS, settings
from django_expense_ai.models import (
    Account,
    Category,
    Group,
    GroupMember,
    Transaction,
    TransactionSplit,
    UploadedFile,
)
from django_expense_ai.models.swappable import get_currency_model

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_every_setting_is_typed_documented_and_on_the_settings_page():
    from typing import get_type_hints

    from django_expense_ai.conf import Settings

    hints = get_type_hints(Settings, localns={"os": __import__("os")})
    undocumented = [s.name for s in Settings.keys() if len((s.__doc__ or "").split()) < 3]
    untyped = [s.name for s in Settings.keys() if s.name not in hints]
    assert undocumented == [] and untyped == []
    assert set(DEFAULTS) == {s.name for s in Settings.keys()}
    # The page is generated from the object (docs/settings_table.py), so it names every key.
    assert ".. expense-ai-settings::" in (DOCS / "settings.rst").read_text()


def test_settings_are_read_lazily(settings_override=None):
    from django.test import override_settings

    assert settings.MAX_UPLOAD_BYTES == DEFAULTS["MAX_UPLOAD_BYTES"]
    with override_settings(EXPENSE_AI={"MAX_UPLOAD_BYTES": 10}):
        assert settings.MAX_UPLOAD_BYTES == 10
    with pytest.raises(AttributeError):
        settings.NOT_A_SETTING  # noqa: B018


@pytest.mark.django_db
def test_currencies_loaded_with_iso_minor_units():
    Currency = get_currency_model()
    assert Currency.objects.count() >= 170
    units = dict(Currency.objects.filter(code__in=["USD", "JPY", "KWD", "IQD", "CLF"]).values_list("code", "minor_units"))
    # ISO 4217, not CLDR: IQD has 3 minor units in ISO (CLDR says 0).
    assert units == {"USD": 2, "JPY": 0, "KWD": 3, "IQD": 3, "CLF": 4}


@pytest.mark.django_db
def test_load_currencies_command_is_idempotent():
    Currency = get_currency_model()
    before = Currency.objects.count()
    Currency.objects.filter(code="KWD").update(minor_units=2)
    call_command("expense_ai_load_currencies", verbosity=0)
    call_command("expense_ai_load_currencies", verbosity=0)
    assert Currency.objects.count() == before
    assert Currency.objects.get(code="KWD").minor_units == 3


@pytest.mark.django_db
def test_system_categories_have_stable_keys():
    keys = set(Category.objects.filter(user__isnull=True).values_list("key", flat=True))
    assert {"housing", "charity", "family-support", "other"} <= keys


@pytest.mark.django_db
def test_for_user_returns_own_and_shared_rows_only(user, other_user, django_user_model):
    stranger = django_user_model.objects.create_user(username="eve", password="pw")
    mine = Transaction.objects.create(user=user, date=dt.date(2026, 1, 2), amount=Decimal("-10.00"))
    theirs_private = Transaction.objects.create(user=other_user, date=dt.date(2026, 1, 2), amount=Decimal("-5"))
    theirs_shared = Transaction.objects.create(user=other_user, date=dt.date(2026, 1, 3), amount=Decimal("-8"))
    TransactionSplit.objects.create(transaction=theirs_shared, participant=user, amount=Decimal("4"))
    group = Group.objects.create(name="Trip", created_by=other_user)
    GroupMember.objects.create(group=group, user=user)
    in_group = Transaction.objects.create(user=other_user, date=dt.date(2026, 1, 4), amount=Decimal("-9"), group=group)

    visible = set(Transaction.objects.for_user(user))
    assert visible == {mine, theirs_shared, in_group}
    assert theirs_private not in visible
    assert set(Transaction.objects.for_user(stranger)) == set()
    assert list(Group.objects.for_user(user)) == [group]
    assert set(Category.objects.for_user(user)) == set(Category.objects.filter(user__isnull=True))
    Account.objects.create(user=other_user, name="Theirs")
    assert list(Account.objects.for_user(user)) == []


@pytest.mark.django_db
def test_exclude_from_totals_follows_classification(user):
    tx = Transaction.objects.create(user=user, date=dt.date(2026, 1, 1), amount=Decimal("-20"),
                                    expense_classification="charity")
    assert tx.exclude_from_totals is True
    tx.expense_classification = "irregular"
    tx.save(update_fields=["expense_classification"])
    tx.refresh_from_db()
    assert tx.exclude_from_totals is False


def test_money_in_json_is_a_decimal_string():
    from django_expense_ai.money import jsonable

    data = jsonable({"amount": Decimal("12.50"), "rows": [Decimal("-0.10")], "when": dt.date(2026, 1, 2)})
    assert data == {"amount": "12.50", "rows": ["-0.10"], "when": "2026-01-02"}


def test_money_refuses_float():
    from django_expense_ai.exceptions import MoneyError
    from django_expense_ai.money import quantize

    with pytest.raises(MoneyError):
        quantize(0.1, "USD")
    with pytest.raises(MoneyError):
        quantize("12.5", "JPY", strict=True)
    assert quantize("1.2345", "KWD") == Decimal("1.234")


# -- admin ---------------------------------------------------------------------

def _admin_urls():
    from django.contrib import admin

    return [
        (model._meta.app_label, model._meta.model_name)
        for model in admin.site._registry
        if model._meta.app_label == "expense_ai"
    ]


@pytest.mark.django_db
def test_every_model_is_registered_in_the_admin():
    from django.apps import apps
    from django.contrib import admin

    for model in apps.get_app_config("expense_ai").get_models():
        assert admin.site.is_registered(model), model


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["changelist", "add"])
def test_admin_pages_render_for_superuser(client, django_user_model, page):
    boss = django_user_model.objects.create_superuser("boss", "boss@example.com", "pw")
    client.force_login(boss)
    from django.urls import reverse

    for app_label, model_name in _admin_urls():
        response = client.get(reverse(f"admin:{app_label}_{model_name}_{page}"))
        assert response.status_code in (200, 403), (model_name, response.status_code)


@pytest.mark.django_db
def test_staff_sees_only_own_rows(client, django_user_model, user, other_user):
    from django.contrib.auth.models import Permission
    from django.urls import reverse

    staff = django_user_model.objects.create_user("staff", password="pw", is_staff=True)
    staff.user_permissions.add(*Permission.objects.filter(codename__in=["view_account", "change_account"]))
    Account.objects.create(user=staff, name="Mine-visible")
    Account.objects.create(user=other_user, name="Someone-elses")
    client.force_login(staff)
    body = client.get(reverse("admin:expense_ai_account_changelist")).content.decode()
    assert "Mine-visible" in body
    assert "Someone-elses" not in body


@pytest.mark.django_db
def test_uploaded_file_names_are_unguessable(user):
    from django.core.files.base import ContentFile

    f = UploadedFile(user=user, filename="hdfc_march.pdf")
    f.file.save("hdfc_march.pdf", ContentFile(b"%PDF-1.4"), save=True)
    assert "hdfc" not in f.file.name
    assert re.search(r"/[A-Za-z0-9_-]{30,}\.pdf$", f.file.name)


@pytest.mark.django_db
def test_admin_amount_edit_rederives_splits(client, django_user_model, user, other_user):
    from django.urls import reverse

    from django_expense_ai.ledger.splits.services import apply_split

    boss = django_user_model.objects.create_superuser("boss2", "b2@example.com", "pw")
    from django_expense_ai.models import Group, GroupMember

    tx = Transaction.objects.create(user=user, date=dt.date(2026, 2, 1), amount=Decimal("-10.00"), currency="USD")
    GroupMember.objects.create(group=Group.objects.create(name="Pair", created_by=user), user=other_user)
    apply_split(tx, [user, other_user], "equal")
    client.force_login(boss)
    url = reverse("admin:expense_ai_transaction_change", args=[tx.pk])
    response = client.get(url)
    form = response.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and not hasattr(v, "pk")}
    data.update({"user": user.pk, "date": "2026-02-01", "amount": "-31.00", "currency": "USD",
                 "source": "manual", "expense_classification": "regular_monthly"})
    for inline in response.context["inline_admin_formsets"]:
        fs = inline.formset
        data[f"{fs.prefix}-TOTAL_FORMS"] = fs.total_form_count()
        data[f"{fs.prefix}-INITIAL_FORMS"] = fs.initial_form_count()
        for i, sub in enumerate(fs.forms):
            data[f"{fs.prefix}-{i}-id"] = sub.instance.pk
            data[f"{fs.prefix}-{i}-transaction"] = tx.pk
            for name in sub.fields:
                value = sub.initial.get(name)
                if value is not None and value is not False:
                    data[f"{fs.prefix}-{i}-{name}"] = getattr(value, "pk", value)
    response = client.post(url, data)
    if response.status_code != 302:
        errors = [response.context["adminform"].form.errors] + [
            inline.formset.errors for inline in response.context["inline_admin_formsets"]]
        raise AssertionError(errors)
    parts = sorted(s.amount for s in TransactionSplit.objects.filter(transaction=tx))
    assert sum(parts) == Decimal("31.00") and parts == [Decimal("15.50"), Decimal("15.50")]


@pytest.mark.django_db
def test_kept_querysets_give_fresh_copies_and_forget_the_oldest(user):
    from django_expense_ai.models import Account
    from django_expense_ai.models.querysets import KeptQuerysets

    kept = KeptQuerysets(2)
    built = []

    def build(pk):
        built.append(pk)
        return Account.objects.filter(user_id=pk)

    first = kept.get(user.pk, lambda: build(user.pk))
    assert list(first) == []  # evaluated: the kept queryset stays unevaluated
    Account.objects.create(user=user, name="Checking")
    assert [a.name for a in kept.get(user.pk, lambda: build(user.pk))] == ["Checking"]
    assert built == [user.pk]  # built once, copied per use
    kept.get(-1, lambda: build(-1))
    kept.get(-2, lambda: build(-2))  # the least recently used (user.pk) goes
    kept.get(user.pk, lambda: build(user.pk))
    assert built == [user.pk, -1, -2, user.pk]
