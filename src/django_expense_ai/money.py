"""Money helpers: ISO 4217 minor units, quantising and decimal strings.

Pure code (no database). Amounts are ``Decimal``; never ``float``, never
``round()``. Minor units come from the ISO 4217 table (the ``iso4217``
package), not CLDR, whose digits differ for IQD, LBP, IRR and others.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from django.utils.formats import number_format

from .exceptions import FloatMoney, MoneyError, UnknownCurrency

# Currency codes with no minor unit in ISO (precious metals, testing codes)
# are treated as having none for arithmetic: N.A. in the table.
_NO_MINOR = 0

#: Decimal places of the ledger's amount columns (``Transaction.amount``,
#: ``TransactionSplit.amount``): four, since CLF has four minor units.
AMOUNT_PLACES = 4
#: The step of those columns, ``Decimal("0.0001")``: where amounts are compared
#: as the ledger stores them (12.5 and 12.5000 are the same money).
AMOUNT_STEP = Decimal(1).scaleb(-AMOUNT_PLACES)


@lru_cache(maxsize=1)
def iso_currencies() -> dict[str, tuple[str, int, int | None]]:
    """Return ``{code: (name, minor_units, numeric)}`` for every ISO 4217 currency."""
    from iso4217 import Currency

    table: dict[str, tuple[str, int, int | None]] = {}
    for cur in Currency:
        exp = cur.exponent
        table[cur.code] = (cur.currency_name, _NO_MINOR if exp is None else int(exp), cur.number)
    return table


def is_known_currency(code: str) -> bool:
    """True when ``code`` (any case) is an ISO 4217 code."""
    return isinstance(code, str) and code.upper() in iso_currencies()


def normalize_currency(code: str) -> str:
    """Return the upper-case ISO code, or raise :class:`UnknownCurrency`."""
    if not isinstance(code, str) or code.upper() not in iso_currencies():
        raise UnknownCurrency(
            f"Unknown currency {code!r}: use an ISO 4217 code such as USD, EUR or JPY."
        )
    return code.upper()


def minor_units(currency: Any) -> int:
    """Minor units (decimal places) of ``currency``.

    ``currency`` is an ISO 4217 code or any object with a ``minor_units``
    attribute (the currency model). Raises :class:`UnknownCurrency`.
    """
    if hasattr(currency, "minor_units") and currency.minor_units is not None:
        return int(currency.minor_units)
    if hasattr(currency, "code"):
        currency = currency.code
    return iso_currencies()[normalize_currency(currency)][1]


def currency_code(currency: Any) -> str:
    """ISO code of a code string or a currency model instance."""
    if hasattr(currency, "code"):
        return str(currency.code).upper()
    return normalize_currency(currency)


def quantum(currency: Any) -> Decimal:
    """The smallest unit of ``currency`` as a Decimal (``0.01`` for USD, ``1`` for JPY)."""
    return Decimal(1).scaleb(-minor_units(currency))


def to_decimal(value: Any) -> Decimal:
    """Convert str/int/Decimal to ``Decimal``; floats are refused (they are not money).

    :raises FloatMoney: ``value`` is a float or a bool (a ``MoneyError`` and a ``TypeError``).
    :raises MoneyError: ``value`` is not a finite decimal amount.
    """
    if isinstance(value, bool) or isinstance(value, float):
        raise FloatMoney(f"Money must be a Decimal, int or decimal string, not {type(value).__name__}.")
    if isinstance(value, Decimal):
        result = value
    else:
        try:
            result = Decimal(str(value).strip())
        except (InvalidOperation, ValueError) as err:
            raise MoneyError(f"{value!r} is not a decimal amount.") from err
    if not result.is_finite():
        raise MoneyError(f"{value!r} is not a finite amount.")
    return result


def quantize(amount: Any, currency: Any, *, strict: bool = False) -> Decimal:
    """Quantise ``amount`` to the currency's minor units.

    With ``strict=True`` an amount with more decimals than the currency allows
    raises :class:`MoneyError` instead of being rounded (``¥12.5``). Otherwise
    it rounds half-even, the banker's rule, which is what ledgers expect.
    """
    value = to_decimal(amount)
    q = quantum(currency)
    result = value.quantize(q, rounding=ROUND_HALF_EVEN)
    if strict and result != value:
        raise MoneyError(
            f"{value} has more decimals than {currency_code(currency)} allows "
            f"({minor_units(currency)})."
        )
    return result


def to_minor(amount: Any, currency: Any) -> int:
    """Amount in integer minor units (``12.34 USD`` → ``1234``); must already be exact."""
    value = quantize(amount, currency, strict=True)
    return int(value.scaleb(minor_units(currency)))


def from_minor(units: int, currency: Any) -> Decimal:
    """Integer minor units back to a quantised Decimal."""
    return (Decimal(int(units)).scaleb(-minor_units(currency))).quantize(quantum(currency))


def ledger_amount(amount: Any) -> Decimal:
    """``amount`` at the ledger's scale (:data:`AMOUNT_STEP`): a key under which equal money compares equal.

    :returns: a ``Decimal`` with :data:`AMOUNT_PLACES` decimals.
    :raises InvalidOperation: ``amount`` is not a finite number.
    """
    return Decimal(amount).quantize(AMOUNT_STEP)


def money_str(amount: Any) -> str:
    """Decimal string for JSON storage (``Decimal('1.50')`` → ``"1.50"``)."""
    return format(to_decimal(amount), "f")


def jsonable(value: Any) -> Any:
    """Deep-convert ``Decimal`` to strings and dates to ISO text for JSON fields.

    Floats are left as they are only when they are not money (confidence
    scores); callers store money as Decimal, which becomes a string here.
    """
    import datetime as _dt

    if isinstance(value, Decimal):
        return money_str(value)
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return value


def format_money(amount: Any, currency: Any, *, grouping: bool = True, signed: bool = True) -> str:
    """Display text of an amount: the currency's minor units, never the column's four.

    ``format_money(Decimal("-1450.0000"), "USD")`` → ``"-1,450.00 USD"``;
    JPY shows no decimals, BHD three; digit grouping and decimal mark follow
    the active locale (``-1.450,00 USD`` under ``de``). Rounds half-even like
    :func:`quantize`. ``None`` gives ``""``. An unknown currency code keeps two
    decimals and the code as given, so a display never fails on odd data.
    The one formatter: the template filters and the admin call it.

    :param signed: ``False`` drops the sign (for a place already labelled in/out).
    :returns: the amount with thousands separators (unless ``grouping=False``)
        followed by the ISO code.
    :raises MoneyError: ``amount`` is not a decimal amount (a float, text).
    """
    if amount is None:
        return ""
    value = to_decimal(amount)
    try:
        places = minor_units(currency)
        code = currency_code(currency)
    except UnknownCurrency:
        places, code = 2, str(getattr(currency, "code", currency) or "")
    value = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)
    if grouping:  # the active locale's grouping and decimal mark
        digits = number_format(abs(value), decimal_pos=places, use_l10n=True, force_grouping=True)
    else:
        digits = format(abs(value), "f")
    sign = "-" if signed and value < 0 else ""  # never "-0.00"
    return f"{sign}{digits} {code}".strip()
