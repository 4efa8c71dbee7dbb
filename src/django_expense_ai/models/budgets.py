"""Budgets and reusable budget templates."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .choices import BudgetPeriod, BudgetType
from .querysets import OwnedQuerySet, TemplateQuerySet


class Budget(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="expense_ai_budgets")
    name = models.CharField(max_length=200)
    period = models.CharField(max_length=20, choices=BudgetPeriod.choices, default=BudgetPeriod.MONTHLY)
    start_date = models.DateField()
    end_date = models.DateField()
    amount = models.DecimalField(max_digits=15, decimal_places=4)
    currency = models.CharField(max_length=3, default="USD", help_text=_("ISO 4217 code"))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # 2.0 fields (the spec's "Support templates and AI generation")
    budget_type = models.CharField(
        max_length=20,
        choices=BudgetType.choices,
        default=BudgetType.MANUAL,
        db_default=BudgetType.MANUAL,
        help_text=_("Source of this budget"),
    )
    category_allocations = models.JSONField(
        default=dict,
        db_default={},
        blank=True,
        help_text=_("Category-wise allocation: {category_key: {amount: '500.00', percentage: '25'}}"),
    )
    template_source = models.CharField(
        max_length=100, blank=True, default="", db_default="", help_text=_("Template name if budget_type='template'")
    )
    ai_generation_context = models.JSONField(
        null=True, blank=True, help_text=_("Stores AI prompt and response for auditing")
    )

    objects = OwnedQuerySet.as_manager()

    class Meta:
        db_table = "finance_budgets"
        ordering = ["-start_date"]

    def __str__(self) -> str:
        return f"{self.name} ({self.start_date}–{self.end_date})"


class BudgetTemplate(models.Model):
    """Predefined and user-created budget templates with category allocations."""

    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    is_system = models.BooleanField(
        default=False, help_text=_("True for system-provided templates, False for user-created")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="expense_ai_budget_templates",
        help_text=_("Null for system templates"),
    )
    category_allocations = models.JSONField(
        help_text=_("Category key to percentage mapping: {'housing': {'name': 'Housing', 'percentage': '30'}}")
    )
    target_income_range = models.JSONField(
        default=dict, help_text=_("{'min': '50000', 'max': '100000', 'currency': 'USD'}")
    )
    location_tags = models.JSONField(
        default=list, help_text=_("Tags like ['urban', 'high_cost', 'tech_professional']")
    )
    usage_count = models.IntegerField(default=0, help_text=_("How many times this template has been used"))
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TemplateQuerySet.as_manager()

    class Meta:
        db_table = "finance_budget_templates"
        ordering = ["-is_system", "-usage_count", "name"]
        indexes = [
            # (is_system, is_active) is a prefix of the first; (created_by) is
            # the foreign key's own index: both dropped.
            models.Index(fields=["is_system", "is_active", "-usage_count"], name="fin_tpl_sys_active_use_idx"),
            models.Index(fields=["-usage_count"], name="fin_tpl_usage_idx"),
            models.Index(fields=["created_by", "is_active"], name="fin_tpl_creator_active_idx"),
        ]

    def __str__(self) -> str:
        return f"{'[System] ' if self.is_system else ''}{self.name}"
