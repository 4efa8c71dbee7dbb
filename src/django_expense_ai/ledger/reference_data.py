"""The rows every site starts with: ISO 4217 currencies (into the possibly swapped
currency model) and the system categories. Both loaders are safe to run twice."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..money import iso_currencies
from .categories import SYSTEM_CATEGORIES

if TYPE_CHECKING:
    from ..models.host import AbstractCurrencyInfo

#: Symbols for the common currencies; the rest show their code.
SYMBOLS = {
    "USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹", "KRW": "₩", "RUB": "₽", "TRY": "₺",
    "AUD": "A$", "CAD": "C$", "BRL": "R$", "CHF": "CHF", "CNY": "¥", "SGD": "S$", "NZD": "NZ$",
    "HKD": "HK$", "MXN": "MX$", "ZAR": "R", "SEK": "kr", "NOK": "kr", "DKK": "kr", "PLN": "zł",
    "ILS": "₪", "THB": "฿", "VND": "₫", "PHP": "₱", "NGN": "₦", "UAH": "₴", "KWD": "KD",
}


def load_currencies(model: type[AbstractCurrencyInfo] | None = None, *, using: str = "default") -> tuple[int, int]:
    """Create or update a row per ISO 4217 currency; safe to run twice.

    :param model: the currency model (defaults to the active, maybe swapped, one).
    :return: ``(created, updated)`` counts.
    """
    if model is None:
        from ..models.swappable import get_currency_model

        model = get_currency_model()
    manager = model._default_manager.using(using)
    existing = {row.code: row for row in manager.all()}
    created = updated = 0
    to_create = []
    for code, (name, minor, numeric) in sorted(iso_currencies().items()):
        symbol = SYMBOLS.get(code, "")
        row = existing.get(code)
        if row is None:
            to_create.append(model(code=code, name=name, minor_units=minor, numeric_code=numeric or 0, symbol=symbol))
            continue
        changed = False
        for field, value in (("minor_units", minor), ("name", name or row.name)):
            if getattr(row, field) != value:
                setattr(row, field, value)
                changed = True
        if changed:
            row.save(using=using)
            updated += 1
    if to_create:
        manager.bulk_create(to_create, ignore_conflicts=True)
        created = len(to_create)
    return created, updated


def ensure_system_categories(*, using: str = "default") -> int:
    """Create the missing system categories; safe to run twice. Returns how many were created."""
    from ..models import Category

    existing = set(
        Category.objects.using(using).filter(user__isnull=True).values_list("key", flat=True)
    )
    missing = [
        Category(key=key, name=name, is_system=True, user=None)
        for key, name in SYSTEM_CATEGORIES.items()
        if key not in existing
    ]
    Category.objects.using(using).bulk_create(missing)
    return len(missing)
