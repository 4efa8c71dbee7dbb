"""Budget admin: moved classes, read-only system templates, validation, the "apply template" action."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.urls import reverse

from django_expense_ai.admin import budgets as budget_admin
from django_expense_ai.admin import ledger as ledger_admin
from django_expense_ai.budgets import create_template
from django_expense_ai.models import Budget, BudgetTemplate

pytestmark = pytest.mark.django_db

URBAN = "Urban Professional (50-75k/year)"
CHANGELIST = "admin:expense_ai_budgettemplate_changelist"


def change_url(template) -> str:
    return reverse("admin:expense_ai_budgettemplate_change", args=[template.pk])


@pytest.fixture
def staff(django_user_model):
    user = django_user_model.objects.create_user(username="staff", password="pw", is_staff=True)
    codenames = [f"{op}_budgettemplate" for op in ("view", "add", "change", "delete")] + ["add_budget",
                                                                                          "view_budget"]
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="expense_ai",
                                                        codename__in=codenames))
    return user


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


@pytest.fixture
def urban():
    return BudgetTemplate.objects.get(name=URBAN, is_system=True)


def test_budget_admins_live_in_their_own_module() -> None:
    assert type(admin.site._registry[Budget]) is budget_admin.BudgetAdmin
    assert type(admin.site._registry[BudgetTemplate]) is budget_admin.BudgetTemplateAdmin
    assert not hasattr(ledger_admin, "BudgetAdmin") and not hasattr(ledger_admin, "BudgetTemplateAdmin")


def test_staff_see_system_and_own_templates_only(staff_client, staff, user, urban) -> None:
    mine = create_template(staff, name="Staff plan", category_allocations={"housing": "100"})
    theirs = create_template(user, name="Alice plan", category_allocations={"housing": "100"})
    response = staff_client.get(reverse(CHANGELIST))
    assert response.status_code == 200
    shown = {t.pk for t in response.context["cl"].result_list}
    assert {urban.pk, mine.pk} <= shown and theirs.pk not in shown
    assert staff_client.get(change_url(theirs)).status_code == 302  # not found for them: back to the index


def test_system_templates_are_read_only_for_staff(staff_client, urban) -> None:
    response = staff_client.get(change_url(urban))
    assert response.status_code == 200
    assert response.context["has_change_permission"] is False  # the view-only page
    assert 'name="name"' not in response.content.decode()
    response = staff_client.post(change_url(urban), {"name": "Hijacked", "category_allocations": "{}"})
    assert response.status_code == 403
    delete = reverse("admin:expense_ai_budgettemplate_delete", args=[urban.pk])
    assert staff_client.post(delete, {"post": "yes"}).status_code == 403
    urban.refresh_from_db()
    assert urban.name == URBAN


def test_superuser_may_edit_system_templates(admin_client, urban) -> None:
    data = {
        "name": URBAN, "description": "edited", "is_system": "on", "created_by": "",
        "category_allocations": '{"housing": {"name": "Housing", "percentage": 100}}',
        "target_income_range": "{}", "location_tags": '["urban"]', "usage_count": "3", "is_active": "on",
    }
    response = admin_client.post(change_url(urban), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    urban.refresh_from_db()
    assert urban.description == "edited"
    assert urban.category_allocations == {"housing": {"name": "Housing", "percentage": "100"}}


def test_staff_create_own_templates_validated(staff_client, staff) -> None:
    url = reverse("admin:expense_ai_budgettemplate_add")
    data = {
        "name": "Mine", "description": "", "is_system": "on", "usage_count": "999", "is_active": "on",
        "category_allocations": '{"housing": {"percentage": "60"}, "food": {"percentage": "30"}}',
        "target_income_range": "{}", "location_tags": "[]",
    }
    response = staff_client.post(url, data)
    assert response.status_code == 200
    assert "sum to 90, 10 short of 100" in response.content.decode()
    data["category_allocations"] = '{"housing": {"percentage": "60"}, "food": {"percentage": "40"}}'
    data["location_tags"] = '"urban"'
    response = staff_client.post(url, data)
    assert "Use a list of strings" in response.content.decode()
    data["location_tags"] = '["urban"]'
    response = staff_client.post(url, data)
    assert response.status_code == 302
    mine = BudgetTemplate.objects.get(name="Mine")
    # is_system and usage_count were read-only for them: the posted values are ignored
    assert (mine.is_system, mine.created_by, mine.usage_count) == (False, staff, 0)
    assert mine.category_allocations["food"] == {"name": "Food", "percentage": "40"}


def _select(client, templates):
    return client.post(
        reverse(CHANGELIST),
        {"action": "apply_template_action", "_selected_action": [t.pk for t in templates]},
    )


def test_apply_action_asks_then_creates_budgets(admin_client, user, urban) -> None:
    family = BudgetTemplate.objects.get(name="Family with Children (60-120k/year)")
    response = _select(admin_client, [urban, family])
    assert response.status_code == 200
    page = response.content.decode()
    assert "Apply budget template" in page and URBAN in page and 'name="monthly_income"' in page
    assert page.count('name="_selected_action"') == 2

    response = admin_client.post(reverse(CHANGELIST), {
        "action": "apply_template_action", "_selected_action": [urban.pk, family.pk], "apply": "1",
        "user": user.pk, "monthly_income": "6000.00", "currency": "USD", "start_date": "2025-03-01",
    }, follow=True)
    assert response.status_code == 200
    assert "Created 2 budget(s)" in response.content.decode()
    budgets = Budget.objects.filter(user=user).order_by("template_source")
    assert [b.template_source for b in budgets] == [family.name, URBAN]
    for budget in budgets:
        assert budget.budget_type == "template" and budget.amount == Decimal("6000.00")
        assert budget.end_date == dt.date(2025, 3, 31)
        assert sum(Decimal(v["amount"]) for v in budget.category_allocations.values()) == Decimal("6000.00")
    assert BudgetTemplate.objects.get(pk=urban.pk).usage_count == urban.usage_count + 1


def test_apply_action_redisplays_an_invalid_form(admin_client, user, urban) -> None:
    response = admin_client.post(reverse(CHANGELIST), {
        "action": "apply_template_action", "_selected_action": [urban.pk], "apply": "1",
        "user": user.pk, "monthly_income": "", "start_date": "not a date",
    })
    assert response.status_code == 200
    assert response.context["form"].errors.keys() == {"monthly_income", "start_date"}
    assert not Budget.objects.exists()


def test_apply_action_reports_per_template_errors(admin_client, user, urban) -> None:
    inactive = create_template(user, name="Old plan", category_allocations={"housing": "100"})
    BudgetTemplate.objects.filter(pk=inactive.pk).update(is_active=False)
    response = admin_client.post(reverse(CHANGELIST), {
        "action": "apply_template_action", "_selected_action": [urban.pk, inactive.pk], "apply": "1",
        "user": user.pk, "monthly_income": "100", "start_date": "2025-03-01",
    }, follow=True)
    page = response.content.decode()
    assert "Old plan: Template &#x27;Old plan&#x27; is inactive." in page and "Created 1 budget(s)" in page
    assert Budget.objects.filter(user=user).count() == 1


def test_staff_apply_only_for_themselves(staff_client, staff, user, urban) -> None:
    response = _select(staff_client, [urban])
    assert list(response.context["form"].fields["user"].queryset) == [staff]
    response = staff_client.post(reverse(CHANGELIST), {
        "action": "apply_template_action", "_selected_action": [urban.pk], "apply": "1",
        "user": user.pk, "monthly_income": "100", "start_date": "2025-03-01",
    })
    assert "user" in response.context["form"].errors
    assert not Budget.objects.exists()
    staff_client.post(reverse(CHANGELIST), {
        "action": "apply_template_action", "_selected_action": [urban.pk], "apply": "1",
        "user": staff.pk, "monthly_income": "100", "start_date": "2025-03-01",
    })
    assert Budget.objects.get().user == staff


def test_apply_action_needs_the_add_budget_permission(staff_client, staff, urban) -> None:
    staff.user_permissions.remove(Permission.objects.get(codename="add_budget"))
    response = staff_client.get(reverse(CHANGELIST))
    assert "apply_template_action" not in response.content.decode()
    staff_client.post(reverse(CHANGELIST), {
        "action": "apply_template_action", "_selected_action": [urban.pk], "apply": "1",
        "user": staff.pk, "monthly_income": "100", "start_date": "2025-03-01",
    })
    assert not Budget.objects.exists()
