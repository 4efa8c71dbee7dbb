"""Bank profiles: how to read one bank's CSV export, written down as data.

A :class:`BankProfile` names the columns (by their header text), how dates
are written, which sign rule the amounts follow, where the currency comes from
and how many preamble lines sit above the header. The CSV reader
(:func:`.csvfmt.parse_csv_text`) uses one when it is given one, instead of
guessing. Profiles come from three places:

* built in, for common export shapes (:data:`BUILTIN_PROFILES`), registered by
  the app's own plugin;
* plugins, through the ``register_bank_profiles`` hook;
* the user, saved for an account after a first import (stored as JSON; see
  :func:`BankProfile.to_dict` / :func:`BankProfile.from_dict`, which loads
  plain data and never runs code).

Pure: no database.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

from ...exceptions import BankProfileError

__all__ = [
    "BUILTIN_PROFILES",
    "DATE_ORDERS",
    "SIGN_RULES",
    "BankProfile",
    "best_profile",
    "fold_header",
]

#: How a profile's amounts carry their sign.
#:
#: * ``signed``: the amount column is signed as printed (negative is money out);
#: * ``indicator``: an indicator column (``D``/``C``, ``Af``/``Bij``, ``Soll``/``Haben`` ...) decides it;
#: * ``debit_credit``: separate debit (money out) and credit (money in) columns;
#: * ``negated``: card exports that print charges positive and payments negative.
SIGN_RULES = ("signed", "indicator", "debit_credit", "negated")

#: Date orders a profile may name instead of a ``strptime`` pattern; ``""`` infers it for the column.
DATE_ORDERS = ("", "day_first", "month_first")

_MAX_NAME = 100
_MAX_COLUMN = 200
_MAX_MARKERS = 20


def fold_header(text: str) -> str:
    """A header name as profiles compare it: accents, case and punctuation dropped.

    ``"Währung "`` and ``"wahrung"`` are the same column; so are ``"Credit/Debit"`` and ``"credit debit"``.

    :returns: the folded name.
    :raises: nothing.
    """
    text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())


@dataclass(frozen=True)
class BankProfile:
    """How to read one bank's CSV export.

    Column fields hold the header text of the column (compared folded, see
    :func:`fold_header`); ``""`` means the file has no such column.

    :param name: a short unique name (``"nl-debit-credit"``).
    :param date: the transaction date column (required).
    :param amount: the amount column (sign rules ``signed``, ``indicator``, ``negated``).
    :param debit: the money-out column (sign rule ``debit_credit``).
    :param credit: the money-in column (sign rule ``debit_credit``).
    :param indicator: the column whose value marks debit or credit (sign rule ``indicator``).
    :param sign_rule: one of :data:`SIGN_RULES`.
    :param debit_markers: indicator values meaning money out (folded); empty: the common spellings.
    :param credit_markers: indicator values meaning money in (folded); empty: the common spellings.
    :param description: the description columns, joined in this order.
    :param counterparty: the counterparty column; fills an empty description and is kept as the merchant.
    :param currency: the column holding each row's ISO currency code.
    :param fixed_currency: the currency of every row when the file has no currency column.
    :param balance: the running-balance column.
    :param reference: the bank's own transaction id column.
    :param posted_date: the booking (posting) date column, kept beside the transaction date.
    :param date_format: ``"day_first"``, ``"month_first"``, a ``strptime`` pattern
        (``"%Y%m%d"``), or ``""`` to infer it from the whole column.
    :param decimal_separator: ``","`` or ``"."``; ``""`` infers it from the file.
    :param delimiter: the field delimiter; ``""`` sniffs it.
    :param preamble_lines: how many non-empty lines stand above the header;
        ``None`` finds the header by its column names.
    :param match: extra header names that must be present for the profile to be chosen
        automatically (to tell two banks with the same columns apart).
    """

    name: str
    date: str
    amount: str = ""
    debit: str = ""
    credit: str = ""
    indicator: str = ""
    sign_rule: str = "signed"
    debit_markers: tuple[str, ...] = ()
    credit_markers: tuple[str, ...] = ()
    description: tuple[str, ...] = ()
    counterparty: str = ""
    currency: str = ""
    fixed_currency: str = ""
    balance: str = ""
    reference: str = ""
    posted_date: str = ""
    date_format: str = ""
    decimal_separator: str = ""
    delimiter: str = ""
    preamble_lines: int | None = None
    match: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        problems = _problems(self)
        if problems:
            raise BankProfileError(
                f"Bank profile {self.name or '(unnamed)'!r} is not usable: {'; '.join(problems)}."
            )

    # -- columns -------------------------------------------------------------

    def required_columns(self) -> tuple[str, ...]:
        """Every header name the file must hold for this profile to read it (folded).

        :returns: the folded names, without duplicates.
        """
        names = [
            self.date, self.amount, self.debit, self.credit, self.indicator, self.counterparty,
            self.currency, self.balance, self.reference, self.posted_date, *self.description, *self.match,
        ]  # fmt: skip
        seen: dict[str, None] = {}
        for name in names:
            if name:
                seen.setdefault(fold_header(name), None)
        return tuple(seen)

    def matches(self, header: Sequence[str]) -> bool:
        """Whether ``header`` (one CSV row) holds every column this profile names.

        :returns: True when it does.
        :raises: nothing.
        """
        present = {fold_header(cell) for cell in header}
        return all(name in present for name in self.required_columns())

    # -- storage -------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data (strings, lists, ints, null) that :meth:`from_dict` reads back.

        :returns: a dict holding only the fields that differ from their defaults, plus ``name`` and ``date``.
        """
        data: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in ("name", "date") or value != f.default:
                data[f.name] = list(value) if isinstance(value, tuple) else value
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BankProfile:
        """Build a profile from stored JSON data; only plain values are accepted.

        :returns: the profile.
        :raises BankProfileError: unknown keys, wrong types, or a profile that cannot read anything.
        """
        if not isinstance(data, Mapping):
            raise BankProfileError(f"A bank profile is a JSON object, not {type(data).__name__}.")
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise BankProfileError(f"Unknown bank profile keys: {', '.join(map(str, unknown))}.")
        values: dict[str, Any] = {}
        for key, value in data.items():
            default = known[key].default
            if isinstance(default, tuple):
                if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
                    raise BankProfileError(f"Bank profile key {key!r} must be a list of strings.")
                values[key] = tuple(value)
            elif key == "preamble_lines":
                if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                    raise BankProfileError(
                        "Bank profile key 'preamble_lines' must be a whole number or null."
                    )
                values[key] = value
            else:
                if not isinstance(value, str):
                    raise BankProfileError(f"Bank profile key {key!r} must be a string.")
                values[key] = value
        for required in ("name", "date"):
            if required not in values:
                raise BankProfileError(f"A bank profile needs {required!r}.")
        return cls(**values)

    def parse_date(self, text: str) -> dt.date | None:
        """Read a date with this profile's ``strptime`` pattern.

        :returns: the date, or ``None`` when the pattern is not a ``strptime`` one or does not fit.
        :raises: nothing.
        """
        if "%" not in self.date_format:
            return None
        try:
            return dt.datetime.strptime(text.strip(), self.date_format).date()
        except ValueError:
            return None


def _problems(profile: BankProfile) -> list[str]:
    problems: list[str] = []
    if not profile.name or len(profile.name) > _MAX_NAME:
        problems.append(f"a name of 1 to {_MAX_NAME} characters is required")
    if not profile.date:
        problems.append("the date column is required")
    if profile.sign_rule not in SIGN_RULES:
        problems.append(f"sign_rule must be one of {', '.join(SIGN_RULES)}")
    elif profile.sign_rule == "debit_credit":
        if not (profile.debit or profile.credit):
            problems.append("sign_rule 'debit_credit' needs a debit or a credit column")
    elif not profile.amount:
        problems.append(f"sign_rule {profile.sign_rule!r} needs an amount column")
    if profile.sign_rule == "indicator" and not profile.indicator:
        problems.append("sign_rule 'indicator' needs an indicator column")
    if profile.date_format not in DATE_ORDERS and "%" not in profile.date_format:
        problems.append("date_format must be 'day_first', 'month_first', a strptime pattern or ''")
    if profile.decimal_separator not in ("", ",", "."):
        problems.append("decimal_separator must be ',', '.' or ''")
    if profile.delimiter not in ("", ",", ";", "\t", "|"):
        problems.append("delimiter must be ',', ';', a tab, '|' or ''")
    if profile.preamble_lines is not None and not 0 <= profile.preamble_lines <= 100:
        problems.append("preamble_lines must be between 0 and 100")
    if profile.fixed_currency and not re.fullmatch(r"[A-Z]{3}", profile.fixed_currency):
        problems.append("fixed_currency must be an ISO 4217 code such as 'EUR'")
    columns = [
        profile.date, profile.amount, profile.debit, profile.credit, profile.indicator, profile.counterparty,
        profile.currency, profile.balance, profile.reference, profile.posted_date, *profile.description,
        *profile.match,
    ]  # fmt: skip
    if any(len(c) > _MAX_COLUMN for c in columns):
        problems.append(f"column names are at most {_MAX_COLUMN} characters")
    if len(profile.debit_markers) > _MAX_MARKERS or len(profile.credit_markers) > _MAX_MARKERS:
        problems.append(f"at most {_MAX_MARKERS} markers per side")
    return problems


def best_profile(
    profiles: Sequence[BankProfile], rows: Sequence[Sequence[str]], *, search: int = 30
) -> BankProfile | None:
    """The profile that fits a file best: its header holds every column the profile names.

    When several fit, the one naming the most columns wins (it is the more
    specific); a tie goes to the earlier profile.

    :param rows: the file's first rows, split into cells.
    :returns: the profile, or ``None`` when none fits.
    :raises: nothing.
    """
    headers = [{fold_header(cell) for cell in row} for row in rows[:search] if len(row) > 1]
    best: tuple[int, BankProfile] | None = None
    for profile in profiles:
        names = profile.required_columns()
        if any(all(name in header for name in names) for header in headers):
            if best is None or len(names) > best[0]:
                best = (len(names), profile)
    return best[1] if best else None


#: Profiles for common export shapes, registered by the app's own plugin.
BUILTIN_PROFILES: tuple[BankProfile, ...] = (
    # Dutch banks (Knab and its kind): a D/C indicator column, a currency column, decimal commas.
    BankProfile(
        name="nl-debit-credit",
        date="Transactiedatum",
        amount="Bedrag",
        indicator="CreditDebet",
        sign_rule="indicator",
        description=("Omschrijving",),
        counterparty="Tegenrekeninghouder",
        currency="Valutacode",
        date_format="day_first",
        decimal_separator=",",
    ),
    # Dutch banks with "Af Bij" (ING-style): the amount is unsigned, "Af" is money out.
    BankProfile(
        name="nl-af-bij",
        date="Datum",
        amount="Bedrag (EUR)",
        indicator="Af Bij",
        sign_rule="indicator",
        description=("Naam / Omschrijving", "Mededelingen"),
        fixed_currency="EUR",
        decimal_separator=",",
    ),
    # The generic English shape: money out and money in in two columns.
    BankProfile(
        name="debit-credit",
        date="Date",
        debit="Debit",
        credit="Credit",
        sign_rule="debit_credit",
        description=("Description",),
        balance="Balance",
    ),
)
