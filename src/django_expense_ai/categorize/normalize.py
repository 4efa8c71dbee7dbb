"""Statement descriptions reduced to the payee they name (pure: plain strings in and out).

A bank writes one coffee shop as ``SQ *BLUE BOTTLE 0423 OAKLAND CA``, ``SQ
*BLUE BOTTLE COF 0611 OAKLAND CA`` or ``POS 04/23 SQ*BLUE BOTTLE #0423``: the
card network's processor prefix, a store number, the date, a reference and the
city and state change, the payee does not. :func:`normalize_description`
removes what changes and keeps the words; :func:`payee_key` is the shorter
key the payee memory counts under.
"""

from __future__ import annotations

import re
from decimal import Decimal

from ..exceptions import FloatMoney

__all__ = ["amount_band", "key_of", "normalize_description", "payee_key"]

# Processor / card-network prefixes, longest first (removed repeatedly from the start).
_PREFIXES = (
    "PURCHASE AUTHORIZED ON",
    "DEBIT CARD PURCHASE",
    "RECURRING PAYMENT",
    "POS DEBIT",
    "POS PURCHASE",
    "CHECKCARD",
    "CHECK CARD",
    "CARD PURCHASE",
    "VISA DEBIT",
    "DEBIT",
    "PURCHASE",
    "PAYPAL *",
    "PAYPAL*",
    "PP*",
    "SQ *",
    "SQ*",
    "TST *",
    "TST*",
    "SP *",
    "SP*",
    "IC *",
    "IC*",
    "DD *",
    "DD*",
    "GOOGLE *",
    "APL*",
    "POS",
    "ACH",
    "VISA",
)
_PREFIX = re.compile(
    r"^\s*(?:" + "|".join(re.escape(p) + (r"(?=\W|$)" if p[-1].isalnum() else "") for p in _PREFIXES) + r")\s*"
)
_DATE = re.compile(
    r"\b(?:\d{4}-\d{2}-\d{2}|\d{1,2}[/.-]\d{1,2}(?:[/.-]\d{2,4})?|\d{1,2}(?:JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)\d{0,4})\b"
)
_TIME = re.compile(r"\b\d{1,2}:\d{2}(?::\d{2})?\b")
# "*2K3L45" after a name (Amazon, PayPal references), "#0423", "REF 12345", "STORE 12".
_STAR_REF = re.compile(r"\*\s*[A-Z0-9]*\d[A-Z0-9]*")
_LABELLED = re.compile(r"\b(?:REF|REFERENCE|TRACE|AUTH|CONF|ID|NO|STORE|STR|TERMINAL|TERM|CARD|X+)\b\.?\s*[#:]?\s*[A-Z0-9-]*\d[A-Z0-9-]*")
_HASH_NUMBER = re.compile(r"#\s*[A-Z0-9-]*")
_NON_WORD = re.compile(r"[^A-Z0-9&']+")
_DIGIT_WORD = re.compile(r"\S*\d\S*")
_US_STATES = frozenset(
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY "
    "NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY".split()
)
_COUNTRIES = frozenset({"US", "USA", "GB", "GBR", "UK", "CAN", "NLD", "DEU"})
# First words of two- and three-word city names ("SAN FRANCISCO", "SALT LAKE CITY").
_CITY_STARTS = frozenset(
    "SAN LOS LAS NEW SANTA ST SAINT FORT FT EL PALO MOUNTAIN REDWOOD SOUTH NORTH EAST WEST PORT DALY "
    "SALT LAKE CORPUS GRAND BATON COLORADO KANSAS OKLAHOMA JERSEY SIOUX BEVERLY CULVER LONG".split()
)


def _strip_prefixes(text: str) -> str:
    while True:
        stripped = _PREFIX.sub("", text, count=1)
        if stripped == text or not stripped.strip():
            return text
        text = stripped


def _strip_place(tokens: list[str]) -> list[str]:
    """Drop a trailing country, ``CITY ST`` (US state code) and the city's first words."""
    while len(tokens) > 1 and tokens[-1] in _COUNTRIES:
        tokens = tokens[:-1]
    if len(tokens) > 1 and tokens[-1] in _US_STATES:
        tokens = tokens[:-1]
        if len(tokens) > 2:  # the (last word of the) city, when a name stays before it
            tokens = tokens[:-1]
            while len(tokens) > 1 and tokens[-1] in _CITY_STARTS:
                tokens = tokens[:-1]
    return tokens


def normalize_description(text: str) -> str:
    """The words of a statement description that name the payee, upper case.

    Removes card-network and processor prefixes (``SQ *``, ``TST*``, ``POS``,
    ``PAYPAL *`` ...), dates and times, store and reference numbers (any word
    holding a digit), a trailing ``CITY ST`` (US state code) or country code,
    and punctuation. Never returns an empty string for a description that has
    a letter: when everything would go, the words of the original are kept.

    :param text: a description as the bank or the user wrote it.
    :returns: space-separated upper-case words (``""`` for an empty description).
    """
    upper = " ".join(str(text or "").upper().split())
    if not upper:
        return ""
    cleaned = _strip_prefixes(upper)
    cleaned = _strip_prefixes(_TIME.sub(" ", _DATE.sub(" ", cleaned)))  # "POS 04/23 SQ*..."
    cleaned = _STAR_REF.sub(" ", cleaned)
    cleaned = _LABELLED.sub(" ", cleaned)
    cleaned = _HASH_NUMBER.sub(" ", cleaned)
    cleaned = _DIGIT_WORD.sub(" ", _NON_WORD.sub(" ", cleaned))  # store numbers, references, zip codes
    tokens = [t.strip("'") for t in cleaned.split()]
    tokens = [t for t in tokens if t]
    tokens = _strip_place(tokens)
    if not tokens:  # everything looked like noise: keep the original's words
        tokens = [t for t in _NON_WORD.sub(" ", upper).split() if t]
    return " ".join(tokens)


def payee_key(text: str, *, words: int = 3) -> str:
    """The payee memory's key: the first ``words`` words of :func:`normalize_description`.

    Three words keep ``AMAZON MKTPLACE`` apart from ``AMAZON PRIME`` while a
    location or a truncated tail beyond them does not split one payee in two.

    :returns: the key (``""`` when the description has no word).
    """
    return key_of(normalize_description(text), words=words)


def key_of(normalized: str, *, words: int = 3) -> str:
    """:func:`payee_key` of a description already normalised (saves normalising twice)."""
    return " ".join(normalized.split()[:words])


# Upper bounds of the amount bands, in the currency's main unit (Decimal, never float).
_BANDS = (Decimal(5), Decimal(15), Decimal(40), Decimal(100), Decimal(250), Decimal(1000), Decimal(5000))


def amount_band(amount: Decimal | int | str | None) -> str:
    """A coarse size class of ``amount`` and its direction, e.g. ``"out3"`` (money out, 40-100).

    :param amount: a ``Decimal`` (negative is money out), an int or a decimal string.
    :returns: ``"in"``/``"out"`` followed by the band number (0 smallest);
        ``""`` when there is no amount.
    :raises FloatMoney: ``amount`` is a float (money is never a float); a ``TypeError``.
    """
    if amount is None or amount == "":
        return ""
    if isinstance(amount, float):
        raise FloatMoney(f"amount_band() got the float {amount!r}; money is never a float: pass a Decimal, an int or a decimal string.")
    value = Decimal(amount)
    size = abs(value)
    band = next((i for i, top in enumerate(_BANDS) if size < top), len(_BANDS))
    return f"{'in' if value > 0 else 'out'}{band}"
