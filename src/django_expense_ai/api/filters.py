"""Filters of the transaction list."""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet
from rest_framework.request import Request

from ..models import Account, Category, ExpenseClassification, Transaction, TransactionSource


def _accounts(request: Request | None) -> QuerySet[Account]:
    return Account.objects.for_user(getattr(request, "user", None))


def _categories(request: Request | None) -> QuerySet[Category]:
    return Category.objects.for_user(getattr(request, "user", None))


class TransactionFilter(django_filters.FilterSet):
    date_from = django_filters.DateFilter(field_name="date", lookup_expr="gte", help_text="On or after (ISO date).")
    date_to = django_filters.DateFilter(field_name="date", lookup_expr="lte", help_text="On or before (ISO date).")
    # django-filter also takes a callable of the request here; its stub allows a QuerySet only.
    account = django_filters.ModelChoiceFilter(queryset=_accounts)  # type: ignore[arg-type]
    category = django_filters.ModelChoiceFilter(queryset=_categories)  # type: ignore[arg-type]
    uncategorised = django_filters.BooleanFilter(field_name="category", lookup_expr="isnull")
    expense_classification = django_filters.ChoiceFilter(choices=ExpenseClassification.choices)
    exclude_from_totals = django_filters.BooleanFilter()
    source = django_filters.ChoiceFilter(choices=TransactionSource.choices)
    q = django_filters.CharFilter(method="search", help_text="Text in description, merchant or notes.")

    class Meta:
        model = Transaction
        fields: list[str] = []

    def search(self, queryset: QuerySet[Transaction], name: str, value: str) -> QuerySet[Transaction]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(description__icontains=value) | Q(merchant__icontains=value) | Q(notes__icontains=value)
        )
