"""Every page: login, 200 for the owner, 404 for another user's ids, money display, the host layout,
and a fixed number of queries whatever the number of rows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.cache import caches
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from django_expense_ai.budgets import apply_template, create_template
from django_expense_ai.chat import submit_message
from django_expense_ai.models import StatementMerge, StatementPassword, Transaction
from django_expense_ai.statements import import_statement
from tests.webdata import flatmates, make_person

pytestmark = pytest.mark.django_db

PAGES = ("chat", "statements", "statement_upload", "merges", "budgets", "settings")


def _pair(user, month: int, reword: bool) -> bytes:
    lines = ["Date,Description,Amount"]
    for i in range(12):
        text = f"Reworded {i} XYZ*{month}" if reword and i % 4 == 1 else f"Card payment {month} shop {i}"
        lines.append(f"2025-{month:02d}-{i + 1:02d},{text},-{10 + i}.{i:02d}")
    return ("\n".join(lines) + "\n").encode()


def build(user, n: int, django_user_model):
    """``n`` of everything the pages list, for ``user``."""
    friend = make_person(django_user_model, f"friend{user.pk}")
    flatmates(user, friend, name=f"Group {user.pk}")
    for i in range(n):
        submit_message(user, f"@{friend.username} ${10 + i} zanzibar lunch #dining")
        import_statement(user, _pair(user, i + 1, False), filename=f"m{i}.csv")
        import_statement(user, _pair(user, i + 1, True), filename=f"m{i}-again.csv")
        template = create_template(name=f"T{user.pk}-{i}", user=user,
                                   category_allocations={"housing": "50", "dining": "50"})
        apply_template(template, user, monthly_income=Decimal("1000"), start_date=timezone.localdate().replace(day=1))
        entry = StatementPassword(user=user, password_hint=f"hint {i}")
        entry.set_password("pw")
        entry.save()
        Transaction.objects.create(user=user, date=timezone.localdate() - dt.timedelta(days=40 * i),
                                   amount=Decimal("-3.10"), currency="USD", description="snack")
    assert StatementMerge.objects.filter(merged_by=user).count() == n


def _count(client, url) -> int:
    caches["default"].clear()  # the reports' cache would hide queries in one run and not the other
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


def test_every_page_needs_a_login(client):
    for name in PAGES:
        response = client.get(reverse(f"expense_ai:{name}"))
        assert response.status_code == 302 and "login" in response["Location"], name


def test_every_page_renders_for_its_owner(client, user, django_user_model):
    build(user, 1, django_user_model)
    client.force_login(user)
    for name in PAGES:
        response = client.get(reverse(f"expense_ai:{name}"))
        assert response.status_code == 200, name
        assert b"ea-app" in response.content
    merge = StatementMerge.objects.get(merged_by=user)
    assert client.get(reverse("expense_ai:merge_review", args=[merge.pk])).status_code == 200
    assert client.get(reverse("expense_ai:statement_detail", args=[merge.primary_file_id])).status_code == 200
    assert client.get(reverse("expense_ai:home"))["Location"] == reverse("expense_ai:chat")


def test_another_users_ids_are_not_found(client, user, other_user, django_user_model):
    build(other_user, 1, django_user_model)
    merge = StatementMerge.objects.get(merged_by=other_user)
    message = other_user.expense_ai_chat_messages.first()
    client.force_login(user)
    for name, pk in (("merge_review", merge.pk), ("statement_detail", merge.primary_file_id),
                     ("statement_progress", merge.primary_file_id)):
        assert client.get(reverse(f"expense_ai:{name}", args=[pk])).status_code == 404, name
    assert client.post(reverse("expense_ai:chat_confirm", args=[message.pk])).status_code == 404
    for name in PAGES:
        page = client.get(reverse(f"expense_ai:{name}")).content.decode()
        assert "m0.csv" not in page and "hint 0" not in page and "zanzibar" not in page, name


def test_a_constant_number_of_queries_per_page(client, user, other_user, django_user_model):
    build(user, 1, django_user_model)
    build(other_user, 4, django_user_model)
    counts = {}
    for who in (user, other_user):
        client.force_login(who)
        merge = StatementMerge.objects.filter(merged_by=who).order_by("pk").first()
        urls = [reverse(f"expense_ai:{name}") for name in PAGES]
        urls += [reverse("expense_ai:merge_review", args=[merge.pk]),
                 reverse("expense_ai:statement_detail", args=[merge.primary_file_id]),
                 reverse("expense_ai:statement_progress", args=[merge.primary_file_id]),
                 reverse("expense_ai:chat_history") + f"?before={10**9}"]
        counts[who.pk] = [_count(client, url) for url in urls]
    assert counts[user.pk] == counts[other_user.pk]


def test_money_is_shown_in_the_currencys_minor_units_and_the_locale():
    template = Template("{% load expense_ai %}{{ a|money:'USD' }}|{{ b|money:'JPY' }}|{{ c|money:'BHD' }}|"
                        "{{ a|money_abs:'USD' }}|{{ a|money_class }}|{{ d|money_class }}|{{ z|money:'USD' }}")
    context = Context({"a": Decimal("-1450.0000"), "b": Decimal("1450.0000"), "c": Decimal("2.5"),
                       "d": Decimal("4200.00"), "z": Decimal("-0.0000")})
    with translation.override("en"):
        assert template.render(context) == ("-1,450.00 USD|1,450 JPY|2.500 BHD|1,450.00 USD|money-out|money-in|"
                                            "0.00 USD")
    with translation.override("de"):
        assert template.render(context).startswith("-1.450,00 USD|1.450 JPY|2,500 BHD")


def test_money_filters_never_fail_on_odd_values():
    template = Template("{% load expense_ai %}{{ a|money:'USD' }}|{{ a|money_class }}|{{ a|is_income }}")
    for value, shown in (
        (Decimal("1E+30"), "1E+30|money-in|True"),  # too many digits for cents: shown as given
        ("abc", "abc||False"),
        (4.5, "4.5||False"),  # a float is not money
        (Decimal("NaN"), "NaN||False"),
    ):
        assert template.render(Context({"a": value})) == shown


def test_the_pages_sit_inside_the_hosts_template(client, user, settings, tmp_path):
    (tmp_path / "host.html").write_text(
        "<html><head><title>{% block title %}{% endblock %}</title>{% block extra_head %}{% endblock %}</head>"
        "<body><header>HOST HEADER</header>{% block content %}{% endblock %}{% block scripts %}{% endblock %}"
        "</body></html>")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [str(tmp_path)]}]
    settings.EXPENSE_AI = {"BASE_TEMPLATE": "host.html"}
    client.force_login(user)

    page = client.get(reverse("expense_ai:chat")).content.decode()

    assert "HOST HEADER" in page and "<title>Chat · Expenses</title>" in page
    assert "expense_ai/expense_ai.css" in page and "htmx.min.js" in page and 'name="text"' in page


def test_pages_work_without_the_htmx_middleware_and_with_it(client, user, settings, django_user_model):
    friend = make_person(django_user_model, "dora")
    flatmates(user, friend)
    client.force_login(user)
    plain = client.post(reverse("expense_ai:chat"), {"text": "@dora $8 tea"})
    assert plain.status_code == 302
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "django_htmx.middleware.HtmxMiddleware"]
    partial = client.post(reverse("expense_ai:chat"), {"text": "@dora $9 tea"}, HTTP_HX_REQUEST="true")
    assert partial.status_code == 200 and b"<html" not in partial.content and b"-9.00 USD" in partial.content
