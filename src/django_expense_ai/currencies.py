"""Loading ISO 4217 currencies into the (possibly swapped) currency model."""

from __future__ import annotations

from .money import iso_currencies

#: Symbols for the common currencies; the rest show their code.
SYMBOLS = {
    "USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹", "KRW": "₩", "RUB": "₽", "TRY": "₺",
    "AUD": "A$", "CAD": "C$", "BRL": "R$", "CHF": "CHF", "CNY": "¥", "SGD": "S$", "NZD": "NZ$",
    "HKD": "HK$", "MXN": "MX$", "ZAR": "R", "SEK": "kr", "NOK": "kr", "DKK": "kr", "PLN": "zł",
    "ILS": "₪", "THB": "฿", "VND": "₫", "PHP": "₱", "NGN": "₦", "UAH": "₴", "KWD": "KD",
}


def load_currencies(model=None, *, using: str = "default") -> tuple[int, int]:
    """Create or update a row per ISO 4217 currency; safe to run twice.

    :param model: the currency model (defaults to the active, maybe swapped, one).
    :return: ``(created, updated)`` counts.
    """
    if model is None:
        from .swappable import get_currency_model

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
