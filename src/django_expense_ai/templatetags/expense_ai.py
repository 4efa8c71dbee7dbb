"""Template filters of the library: ``{% load expense_ai %}``.

``{{ amount|money:currency }}`` formats an amount with the currency's ISO 4217
minor units (never the column's four places) and the active locale's digit
grouping and decimal mark; ``{{ amount|money_class }}`` gives ``money-in`` /
``money-out`` for styling. The admin and the pages share them.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import template

from ..conf import settings
from ..exceptions import MoneyError
from ..money import currency_code, to_decimal
from ..money import format_money as _format_money

register = template.Library()


def format_money(amount: Any, currency: Any = None, *, signed: bool = True) -> str:
    """``amount`` as text in ``currency``'s minor units and the active locale.

    ``-1450.0000`` in USD under ``en-us`` is ``-1,450.00 USD``; in JPY it is
    ``-1,450 JPY``; under ``de`` ``-1.450,00 USD``. Negative is money out.

    :param currency: an ISO code or a currency model (default: ``DEFAULT_CURRENCY``).
    :param signed: ``False`` drops the sign (for a column already labelled in/out).
    :returns: the text, or ``""`` for ``None``/``""``; a value that is not an
        amount is returned as given (a template must not fail on bad data).
    """
    if amount is None or amount == "":
        return ""
    try:
        return _format_money(amount, currency_code(currency or settings.DEFAULT_CURRENCY), signed=signed)
    except (MoneyError, InvalidOperation):  # InvalidOperation: too many digits to quantise (1E+30)
        return str(amount)


@register.filter
def money(amount: Any, currency: Any = None) -> str:
    """``{{ tx.amount|money:tx.currency }}``: see :func:`format_money`."""
    return format_money(amount, currency)


@register.filter
def money_abs(amount: Any, currency: Any = None) -> str:
    """The amount without its sign (for a place that already says "in" or "out")."""
    return format_money(amount, currency, signed=False)


@register.filter
def money_class(amount: Any) -> str:
    """``money-in`` for a positive amount, ``money-out`` for a negative one, else ``""``."""
    try:
        value = to_decimal(amount)
    except MoneyError:
        return ""
    if value > 0:
        return "money-in"
    if value < 0:
        return "money-out"
    return ""


@register.filter
def is_income(amount: Any) -> bool:
    """True for money in (a positive amount)."""
    try:
        return to_decimal(amount) > Decimal(0)
    except MoneyError:
        return False
