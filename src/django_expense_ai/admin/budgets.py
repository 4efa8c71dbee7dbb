"""Admin for budgets and budget templates, with an "apply template" action.

System templates are read-only for everyone but superusers; staff who are
not superusers see the system templates and their own, and create budgets
only for themselves.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template import engines
from django.template.backends.django import DjangoTemplates
from django.template.response import TemplateResponse
from django.utils import timezone

from ..budgets import apply_template
from ..budgets.allocations import clean_allocations
from ..exceptions import BudgetError, ConfigurationError, MoneyError
from ..models import Budget, BudgetTemplate, ownership
from .base import ScopedAdmin, acting_user, money_display

# Kept in code (not a template file) so the page ships with the module; it
# extends the admin's own base, so it looks like every other admin page.
APPLY_TEMPLATE_PAGE = """{% extends "admin/base_site.html" %}
{% block content %}
<p>Create one budget from each selected template:</p>
<ul>{% for t in templates %}<li>{{ t.name }}</li>{% endfor %}</ul>
<form method="post">{% csrf_token %}
{{ form.as_p }}
{% for t in templates %}<input type="hidden" name="_selected_action" value="{{ t.pk }}">{% endfor %}
<input type="hidden" name="action" value="apply_template_action">
<input type="hidden" name="apply" value="1">
<input type="submit" value="Create budgets">
</form>
{% endblock %}
"""


def _django_engine() -> DjangoTemplates:
    for engine in engines.all():
        if isinstance(engine, DjangoTemplates):
            return engine
    raise ConfigurationError(
        "The budget admin needs a DjangoTemplates backend in TEMPLATES "
        '(BACKEND "django.template.backends.django.DjangoTemplates"), as the Django admin itself does.'
    )


@admin.register(Budget)
class BudgetAdmin(ScopedAdmin):
    list_display = ("name", "user", "start_date", "end_date", "amount_display", "budget_type", "template_source")
    list_filter = ("budget_type", "period", "currency")
    search_fields = ("name", "template_source")
    raw_id_fields = ("user",)

    @admin.display(description="amount", ordering="amount")
    def amount_display(self, obj: Budget) -> str:
        return money_display(obj.amount, obj.currency)


class BudgetTemplateForm(forms.ModelForm):
    """Validates allocations (known key format, no negatives, exactly 100) and the JSON shapes."""

    class Meta:
        model = BudgetTemplate
        fields = (
            "name", "description", "is_system", "created_by", "category_allocations",
            "target_income_range", "location_tags", "usage_count", "is_active",
        )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The model fields are not blank=True, but "no range" and "no tags" are valid templates.
        for name in ("target_income_range", "location_tags"):
            if name in self.fields:
                self.fields[name].required = False

    def clean_category_allocations(self) -> dict[str, Any]:
        return clean_allocations(self.cleaned_data.get("category_allocations"))

    def clean_target_income_range(self) -> dict[str, Any]:
        value = self.cleaned_data.get("target_income_range")
        if value in (None, ""):
            return {}
        if not isinstance(value, dict):
            raise forms.ValidationError('Use an object such as {"min": "50000", "max": "75000", "currency": "USD"}.')
        return value

    def clean_location_tags(self) -> list[str]:
        value = self.cleaned_data.get("location_tags")
        if value in (None, ""):
            return []
        if not isinstance(value, list) or not all(isinstance(tag, str) for tag in value):
            raise forms.ValidationError('Use a list of strings such as ["urban", "mid_cost"].')
        return value


class ApplyTemplateForm(forms.Form):
    """The intermediate page of the "apply template" action."""

    user: forms.ModelChoiceField = forms.ModelChoiceField(queryset=None, help_text="The budgets are created for this user.")
    monthly_income = forms.DecimalField(max_digits=15, decimal_places=4, min_value=Decimal("0.01"))
    currency = forms.CharField(
        max_length=3, required=False, help_text="ISO 4217 code; empty: the user's default currency."
    )
    start_date = forms.DateField()
    end_date = forms.DateField(required=False, help_text="Empty: one month from the start date.")

    def __init__(self, *args: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        users = get_user_model().objects.all()
        if request is not None and not request.user.is_superuser:
            users = users.filter(pk=acting_user(request).pk)  # staff create budgets only for themselves
        cast(forms.ModelChoiceField, self.fields["user"]).queryset = users


@admin.register(BudgetTemplate)
class BudgetTemplateAdmin(ScopedAdmin):
    form = BudgetTemplateForm
    owner_field = "created_by"  # staff create their own (save_model also clears is_system)
    list_display = ("name", "is_system", "is_active", "usage_count", "created_by")
    list_filter = ("is_system", "is_active")
    search_fields = ("name", "description")
    raw_id_fields = ("created_by",)
    actions = ["apply_template_action"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[BudgetTemplate]:
        # Readable: the system templates and one's own (changing a system one stays a superuser's).
        qs = admin.ModelAdmin.get_queryset(self, request)
        if request.user.is_superuser:
            return qs
        return qs.filter(pk__in=ownership.usable(request.user, BudgetTemplate).values("pk"))

    def get_readonly_fields(self, request: HttpRequest, obj: BudgetTemplate | None = None) -> list[str]:
        ro = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            # Staff cannot promote their template to a system one or fake its popularity.
            ro += [f for f in ("is_system", "created_by", "usage_count") if f not in ro]
        return ro

    def has_change_permission(self, request: HttpRequest, obj: BudgetTemplate | None = None) -> bool:
        # System templates are read-only for everyone but superusers.
        if obj is not None and obj.is_system and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: BudgetTemplate | None = None) -> bool:
        if obj is not None and obj.is_system and not request.user.is_superuser:
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: BudgetTemplate, form: Any, change: bool) -> None:
        if not change and not request.user.is_superuser:
            obj.created_by = acting_user(request)
            obj.is_system = False
        super().save_model(request, obj, form, change)

    def has_apply_permission(self, request: HttpRequest) -> bool:
        """Applying a template creates budgets, so it needs the add-budget permission."""
        opts = Budget._meta
        return request.user.has_perm(f"{opts.app_label}.add_{opts.model_name}")

    @admin.action(description="Apply template: create budgets", permissions=["apply"])
    def apply_template_action(self, request: HttpRequest, queryset: QuerySet[BudgetTemplate]) -> TemplateResponse | None:
        """Ask for user, monthly income and start date, then create one budget per template.

        :returns: the intermediate page, or ``None`` (back to the list) once budgets are created.
        """
        templates = list(queryset)
        if "apply" in request.POST:
            form = ApplyTemplateForm(request.POST, request=request)
            if form.is_valid():
                self._apply(request, templates, form.cleaned_data)
                return None
        else:
            form = ApplyTemplateForm(
                request=request, initial={"user": request.user.pk, "start_date": timezone.localdate().replace(day=1)}
            )
        context = {
            **self.admin_site.each_context(request),
            "title": "Apply budget template",
            "opts": self.model._meta,
            "templates": templates,
            "form": form,
        }
        page = _django_engine().from_string(APPLY_TEMPLATE_PAGE)
        return TemplateResponse(request, page, context)

    def _apply(self, request: HttpRequest, templates: list[BudgetTemplate], data: dict[str, Any]) -> None:
        created = []
        for template in templates:
            try:
                created.append(
                    apply_template(
                        template,
                        data["user"],
                        monthly_income=data["monthly_income"],
                        start_date=data["start_date"],
                        end_date=data.get("end_date"),
                        currency=data.get("currency") or None,
                    )
                )
            except (BudgetError, MoneyError) as err:
                self.message_user(request, f"{template.name}: {err}", messages.ERROR)
        if created:
            names = ", ".join(b.name for b in created)  # the admin escapes messages
            self.message_user(request, f"Created {len(created)} budget(s): {names}.", messages.SUCCESS)
