"""Filters of the transaction list."""

from __future__ import annotations

import django_filters
from django.db.models import Q

from ..models import Account, Category, ExpenseClassification, Transaction, TransactionSource


def _accounts(request):
    return Account.objects.for_user(getattr(request, "user", None))


def _categories(request):
    return Category.objects.for_user(getattr(request, "user", None))


class TransactionFilter(django_filters.FilterSet):
    date_from = django_filters.DateFilter(field_name="date", lookup_expr="gte", help_text="On or after (ISO date).")
    date_to = django_filters.DateFilter(field_name="date", lookup_expr="lte", help_text="On or before (ISO date).")
    account = django_filters.ModelChoiceFilter(queryset=_accounts)
    category = django_filters.ModelChoiceFilter(queryset=_categories)
    uncategorised = django_filters.BooleanFilter(field_name="category", lookup_expr="isnull")
    expense_classification = django_filters.ChoiceFilter(choices=ExpenseClassification.choices)
    exclude_from_totals = django_filters.BooleanFilter()
    source = django_filters.ChoiceFilter(choices=TransactionSource.choices)
    q = django_filters.CharFilter(method="search", help_text="Text in description, merchant or notes.")

    class Meta:
        model = Transaction
        fields: list[str] = []

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(description__icontains=value) | Q(merchant__icontains=value) | Q(notes__icontains=value)
        )
