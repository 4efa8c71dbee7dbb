"""The host's reference data: currencies, swapped in for the library's CurrencyInfo."""

from django_expense_ai.models import AbstractCurrencyInfo


class CurrencyInfo(AbstractCurrencyInfo):
    class Meta(AbstractCurrencyInfo.Meta):
        db_table = "reference_currency_info"
