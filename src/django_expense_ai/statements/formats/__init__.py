"""Readers for statement files: bytes in, plain rows out.

One module per format (:mod:`.detect`, :mod:`.pdf`, :mod:`.csvfmt`, :mod:`.ofx`).
This package module holds the small helpers they share for reading numbers,
dates and account numbers *as banks print them*. Everything here is pure: no
database, no Django models, safe to fuzz.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

__all__ = [
    "MONTHS",
    "DateParts",
    "guess_day_first",
    "mask_account",
    "parse_amount",
    "parse_date",
    "parse_date_parts",
    "resolve_year",
]

# -- amounts -------------------------------------------------------------------

# Characters that only ever group thousands (never a decimal point).
_GROUP_ONLY = "'\u2019 \u00a0\u202f\u2009"
_NUMBER_CORE = re.compile(r"\d[\d.,'\u2019 \u00a0\u202f\u2009]*\d|\d")
# What may stand around the number: signs, parentheses, a currency symbol or code.
_AFFIX = re.compile(r"[\s+\-()]*(?:[A-Za-z]{1,3}\s?[$]|[$£€¥₹₩₽₺₪฿]|[A-Za-z]{3})?[\s+\-()]*")
_SUFFIX_FLAG = re.compile(r"^(?P<body>.*?)[\s.]*(?P<flag>CR|DR|Cr|Dr|cr|dr)\.?$")
# Compiled once: parse_amount runs for every cell of a statement.
_DIGIT = re.compile(r"\d")
_SEPARATOR = re.compile(r"[.,]")
# "1,234.56", "-42.07": comma-grouped thousands (or none), a point and two decimals.
_PLAIN_AMOUNT = re.compile(r"(?P<minus>-?)(?P<digits>(?:\d{1,3}(?:,\d{3})+|\d+)\.\d{2})")


def parse_amount(text: str | None, *, decimal_separator: str | None = None) -> Decimal | None:
    """Read an amount the way a bank prints it.

    Handles ``-1,234.56``, ``1.234,56``, ``11'373.94``, ``1 234,56``, ``$1,036.47``,
    ``£8.99``, ``(412.16)``, ``12.34-``, ``12.34 CR`` / ``12.34 DR`` and a Unicode
    minus. ``decimal_separator`` (``"."`` or ``","``) settles the one ambiguous
    case, a single separator followed by exactly three digits; without it
    ``1,234`` is read as a thousand and ``1.234`` as one and a bit.

    :returns: a signed ``Decimal`` (``CR`` positive, ``DR``/parentheses/minus
        negative), or ``None`` when the text is empty or not an amount.
    :raises: nothing.
    """
    if text is None:
        return None
    if type(text) is str and decimal_separator != "," and (plain := _PLAIN_AMOUNT.fullmatch(text)):
        # Most amounts look like this; the general reading below gives the same value.
        amount = Decimal(plain.group("digits").replace(",", ""))
        return -amount if plain.group("minus") else amount
    s = str(text).strip().replace("\u2212", "-").replace("\u2013", "-")
    if not s:
        return None
    flag = ""
    m = _SUFFIX_FLAG.match(s)
    if m and _DIGIT.search(m.group("body")):
        s, flag = m.group("body").strip(), m.group("flag").upper()
    core = _NUMBER_CORE.search(s)
    if core is None:
        return None
    before, after = s[: core.start()], s[core.end() :]
    if not _AFFIX.fullmatch(before) or not _AFFIX.fullmatch(after):
        return None
    negative = "-" in before or "-" in after or ("(" in before and ")" in after)
    value = _number(core.group(), decimal_separator)
    if value is None:
        return None
    if flag == "DR":
        negative = True
    elif flag == "CR":
        negative = False
    return -value if negative else value


def _number(core: str, decimal_separator: str | None) -> Decimal | None:
    for ch in _GROUP_ONLY:
        core = core.replace(ch, "")
    seps = _SEPARATOR.findall(core)
    if not seps:
        decimal = ""
    elif len(set(seps)) == 2:
        decimal = seps[-1]  # "1.234,56" / "1,234.56": the last one is the decimal point
    elif len(seps) > 1:
        decimal = ""  # "1.234.567": repeated, so grouping
    elif decimal_separator in (".", ","):
        decimal = seps[0] if seps[0] == decimal_separator else ""
    elif len(core) - max(core.rfind("."), core.rfind(",")) - 1 == 3:
        decimal = "." if seps[0] == "." else ""  # "1,234" is a thousand, "1.234" is not
    else:
        decimal = seps[0]
    int_part, frac = core.rsplit(decimal, 1) if decimal else (core, "")
    groups = _SEPARATOR.split(int_part)
    if len(groups) > 1 and (
        len(set(_SEPARATOR.findall(int_part))) > 1
        or not 1 <= len(groups[0]) <= 3
        or any(len(g) != 3 for g in groups[1:])
    ):
        if len(seps) != 1:
            return None
        # One separator that cannot be grouping ("12.5" with a comma hint): a decimal point.
        int_part, frac = groups[0], groups[1]
        groups = [int_part]
    try:
        return Decimal("".join(groups) + ("." + frac if frac else ""))
    except InvalidOperation:
        return None


# -- dates ---------------------------------------------------------------------

MONTHS: dict[str, int] = {}
for _num, _names in enumerate(
    (
        "jan january januar janvier enero gennaio januari jänner janv",
        "feb february februar fevrier février febrero febbraio februari févr fev",
        "mar march märz maerz marz mrz mars marzo maart mär",
        "apr april avril abril aprile avr",
        "may mai mayo maggio mei",
        "jun june juni juin junio giugno",
        "jul july juli juillet julio luglio juil",
        "aug august août aout agosto augustus",
        "sep sept september septembre septiembre settembre",
        "oct october oktober octobre octubre ottobre okt",
        "nov november novembre noviembre",
        "dec december dezember décembre decembre diciembre dicembre dez déc",
    ),
    start=1,
):
    for _name in _names.split():
        MONTHS[_name] = _num

_MONTH_WORD = r"[A-Za-zÀ-ÿ]{3,9}\.?"
_NUMERIC_DATE = re.compile(
    r"^(?P<a>\d{1,4})\s*(?P<s>[/.\-])\s*(?P<b>\d{1,2})(?:\s*(?P=s)\s*(?P<c>\d{2,4}))?\.?$"
)
_COMPACT_DATE = re.compile(r"^(?P<y>(?:19|20)\d{2})(?P<m>[01]\d)(?P<d>[0-3]\d)$")
_DAY_MONTH_WORD = re.compile(
    rf"^(?P<d>\d{{1,2}})(?:st|nd|rd|th)?[\s\-/.]*(?P<mon>{_MONTH_WORD})[\s\-/.,]*(?P<y>\d{{2}}|\d{{4}})?$"
)
_MONTH_WORD_DAY = re.compile(
    rf"^(?P<mon>{_MONTH_WORD})[\s\-/.]*(?P<d>\d{{1,2}})(?:st|nd|rd|th)?(?:[\s,\-/.]+(?P<y>\d{{4}}|\d{{2}}))?$"
)

_TIME_OF_DAY = re.compile(r"[ T]\d{1,2}:\d{2}(?::\d{2})?(?:\.\d+)?\s*(?:[AaPp][Mm])?(?:Z|[+-]\d{2}:?\d{2})?$")

#: ``(year or None, month, day)`` as read from the text, before the year is resolved.
DateParts = tuple[int | None, int, int]


def _year(text: str | None) -> int | None:
    if not text:
        return None
    y = int(text)
    if len(text) == 2:
        # Two-digit years: statements are recent, 70-99 are last century.
        y += 1900 if y >= 70 else 2000
    return y


def _month(word: str) -> int | None:
    return MONTHS.get(word.lower().rstrip("."))


def parse_date_parts(text: str, *, day_first: bool = True) -> DateParts | None:
    """Read a printed date without deciding a missing year.

    Understands ``2024-03-01``, ``20240301``, ``2019.04.19.``, ``01/09/2017``,
    ``6/12/15``, ``02/07``, ``23-Jan-15``, ``01 AUG 23``, ``Jul 2``, ``March 5, 2024``.
    A time after the date (``2021-02-03 13:12``) is ignored.

    :param day_first: how to read ``01/02``: 1 February when True, 2 January when False.
    :returns: ``(year or None, month, day)`` or ``None`` when it is not a valid date.
    :raises: nothing.
    """
    s = text.strip()
    # Drop a trailing time of day ("13:12", "12:31:46", "06:50 PM", "T10:00:00Z").
    s = _TIME_OF_DAY.sub("", s)
    s = s.strip().strip(",")
    if not s or len(s) > 30:
        return None
    parts: DateParts | None = None
    if m := _COMPACT_DATE.match(s):
        parts = (int(m["y"]), int(m["m"]), int(m["d"]))
    elif m := _NUMERIC_DATE.match(s):
        a, b, c = m["a"], m["b"], m["c"]
        if len(a) == 4:
            if c is None:
                return None
            parts = (int(a), int(b), int(c))
        elif len(a) > 2 or (c is not None and len(c) == 3):
            return None
        else:
            day, month = (int(a), int(b)) if day_first else (int(b), int(a))
            parts = (_year(c), month, day)
    elif m := _DAY_MONTH_WORD.match(s):
        named = _month(m["mon"])
        parts = (_year(m["y"]), named, int(m["d"])) if named else None
    elif m := _MONTH_WORD_DAY.match(s):
        named = _month(m["mon"])
        parts = (_year(m["y"]), named, int(m["d"])) if named else None
    if parts is None:
        return None
    year, month, day = parts
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    try:
        dt.date(year or 2000, month, day)  # 2000 is a leap year: 29 Feb is allowed
    except ValueError:
        return None
    return parts


def parse_date(text: str, *, day_first: bool = True, references: Iterable[dt.date] = ()) -> dt.date | None:
    """Read a printed date; a missing year is taken from ``references``.

    :param references: dates the statement shows (statement date, period);
        a date without a year gets the year that puts it closest to one of them,
        so ``28/12`` on a statement dated 5 January lands in the previous year.
    :returns: the date, or ``None`` when the text is not a date or it has no
        year and there is no reference to take one from.
    :raises: nothing.
    """
    parts = parse_date_parts(text, day_first=day_first)
    if parts is None:
        return None
    return resolve_year(parts, references)


def resolve_year(parts: DateParts, references: Iterable[dt.date]) -> dt.date | None:
    """Turn ``(year or None, month, day)`` into a date using the reference dates.

    :returns: a date, or ``None`` when the year is missing and no reference fits.
    :raises: nothing.
    """
    year, month, day = parts
    if year is not None:
        try:
            return dt.date(year, month, day)
        except ValueError:
            return None
    refs = list(references)
    best: tuple[int, dt.date] | None = None
    for ref in refs:
        for candidate_year in (ref.year - 1, ref.year, ref.year + 1):
            try:
                candidate = dt.date(candidate_year, month, day)
            except ValueError:  # 29 February in a common year
                continue
            distance = abs((candidate - ref).days)
            if best is None or distance < best[0]:
                best = (distance, candidate)
    return best[1] if best else None


_DAY_MONTH_PAIR = re.compile(r"(?<!\d)(\d{1,2})\s*[/.\-]\s*(\d{1,2})(?:\s*[/.\-]\s*(\d{2}|\d{4}))?(?![\d])")


def guess_day_first(samples: Iterable[str], *, currency: str | None = None) -> bool:
    """Decide whether ``01/02``-style dates in ``samples`` are day-first.

    A first number above 12 proves day-first, a second above 12 proves
    month-first. When nothing proves either, US dollars suggest month-first and
    anything else day-first (most of the world).

    :returns: True for day-first.
    :raises: nothing.
    """
    day_first_votes = month_first_votes = 0
    # A statement prints the same date on several rows: read each distinct text once.
    for sample, count in Counter(samples).items():
        for m in _DAY_MONTH_PAIR.finditer(sample or ""):
            a, b = int(m.group(1)), int(m.group(2))
            if a > 12 and b <= 12:
                day_first_votes += count
            elif b > 12 and a <= 12:
                month_first_votes += count
    if day_first_votes != month_first_votes:
        return day_first_votes > month_first_votes
    return currency != "USD"


# -- accounts ------------------------------------------------------------------


def mask_account(number: str | None) -> str:
    """Mask an account or card number for display, e.g. ``****1234``.

    Never returns the whole number: long numbers keep their last four
    characters, short ones their last two, and very short ones nothing.

    :returns: the masked hint, or ``""`` when ``number`` is empty.
    :raises: nothing.
    """
    chars = re.sub(r"[^0-9A-Za-z]", "", number or "")
    if not chars:
        return ""
    if len(chars) >= 8:
        return "****" + chars[-4:]
    if len(chars) >= 4:
        return "****" + chars[-2:]
    return "****"
