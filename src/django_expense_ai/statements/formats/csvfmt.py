"""CSV statements as banks export them.

Named ``csvfmt`` so it never shadows the standard library's :mod:`csv`.

Reading runs in small steps: :func:`decode` (BOM, UTF-8, then charset
detection among the code pages banks use), :func:`sniff_delimiter`
(``,`` ``;`` tab ``|``), :func:`find_header` (skips preamble lines and maps
column names in several languages onto roles), then :func:`parse_csv_text`
reads rows: one signed amount or separate debit/credit columns, an optional
C/D or Af/Bij sign column, thousands separators and decimal commas.

Pure: no database.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from ... import limits
from ...exceptions import CorruptStatement, ProcessingLimitExceeded, UnreadableRow, UnsupportedFormat
from ...money import is_known_currency, quantize
from ..types import ParsedStatement, StatementRow
from ..validation import MAX_ABS_AMOUNT
from . import DateParts, guess_day_first, mask_account, parse_amount, parse_date_parts, resolve_year
from .profiles import BankProfile, best_profile, fold_header

__all__ = [
    "DEFAULT_MAX_COLUMNS",
    "DEFAULT_MAX_LINE_LENGTH",
    "ColumnMap",
    "check_shape",
    "decode",
    "detect_profile",
    "find_header",
    "map_header",
    "parse_csv_text",
    "sniff_delimiter",
]

# Code pages charset detection may choose from: what bank exports actually use.
# Without this list tiny cp1252 files are "detected" as Baltic cp775.
_CANDIDATE_ENCODINGS = [
    "cp1252", "cp1250", "cp1251", "cp1253", "cp1254", "cp1257",
    "euc_jp", "shift_jis", "gb18030", "big5", "euc_kr",
]  # fmt: skip


def decode(data: bytes) -> tuple[str, str]:
    """Decode a text file of unknown encoding.

    Order: a byte-order mark (UTF-8/UTF-16); strict UTF-8; charset detection
    (``charset-normalizer``) among common bank code pages; finally cp1252 with
    replacement characters, so a file always decodes.

    :returns: ``(text, encoding name)``.
    :raises: nothing.
    """
    for bom, encoding in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            return data.decode(encoding, errors="replace"), encoding
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data, cp_isolation=_CANDIDATE_ENCODINGS).best()
    if best is not None:
        return str(best), best.encoding
    return data.decode("cp1252", errors="replace"), "cp1252"


def sniff_delimiter(text: str) -> str:
    """Pick the delimiter that splits the most lines into the same number of columns.

    :returns: one of ``,`` ``;`` tab ``|`` (``,`` when nothing fits better).
    :raises: nothing.
    """
    lines = [line for line in text.splitlines() if line.strip()][:40]
    best, best_score = ",", 0
    for delimiter in (",", ";", "\t", "|"):
        try:
            widths = [len(row) for row in csv.reader(lines, delimiter=delimiter)]
        except csv.Error:
            continue
        counts = Counter(w for w in widths if w > 1)
        if not counts:
            continue
        width, frequency = counts.most_common(1)[0]
        score = frequency * 100 + width  # consistency first, then more columns
        if score > best_score:
            best, best_score = delimiter, score
    return best


# -- header mapping ------------------------------------------------------------

# Per role: header names in priority order; "*" ends a prefix match.
_ROLE_NAMES: dict[str, tuple[str, ...]] = {
    "date": (
        "date", "transaction date", "trans date", "booking date", "posting date", "posted date",
        "buchungstag", "buchungsdatum", "datum", "transactiedatum", "fecha", "data", "date operation", "date de l operation",
        "date processed", "created", "journaldate", "journal date", "konyveles datuma",
        "tranzakcio datuma", "datum provedeni", "datum zauctovani", "date*", "*date", "datum*",
        "value date", "valutadatum", "wertstellung", "valuta", "date de valeur", "erteknap",
    ),
    "amount": (
        "amount", "betrag", "bedrag", "importe", "montant", "netamount", "net amount", "transaction amount",
        "zauctovana castka", "castka", "osszeg", "tranzakcio osszege", "value", "inflow", "amount*",
        "betrag*", "bedrag*", "castka*",
    ),
    "debit": (
        "debit", "debit amount", "debits", "withdrawal", "withdrawals", "paid out", "money out", "out",
        "debet", "soll", "ausgang", "debit*", "withdrawal*", "withdrawals*", "outflow",
    ),
    "credit": (
        "credit", "credit amount", "credits", "deposit", "deposits", "paid in", "money in", "in",
        "haben", "eingang", "credit*", "deposit*", "deposits*",
    ),
    "balance": (
        "balance", "running balance", "runningbalance", "saldo", "kontostand", "solde", "balance*",
        "saldo*", "available balance", "net cash balance",
    ),
    "currency": (
        "currency", "waehrung", "wahrung", "munt", "devizanem", "monn", "mena", "mena uctu",
        "ccy", "curr", "currency code", "tranzakcio devizaneme", "valutacode", "valuta code",
    ),
    "reference": (
        "reference", "ref", "ref #", "reference id", "transaction id", "transactionid", "id", "fitid",
        "n de transaction", "referentie", "referenz", "reference number", "transaction reference",
    ),
    "description": (
        "description", "details", "narrative", "transaction description", "particulars", "desc",
        "omschrijving", "buchungstext", "libelle", "concepto", "description 1", "transaction details",
        "description*",
    ),
    "payee": (
        "payee", "name", "merchant", "merchant name", "counterparty", "partner name", "partner neve", "partner nev",
        "empfanger", "empfaenger", "beguenstigter/zahlungspflichtiger", "auftraggeber/empfanger",
        "naam", "naam tegenpartij", "tegenrekeninghouder", "naam tegenrekeninghouder", "tegenpartij", "nazev protiuctu", "beneficiary", "payee name",
    ),
    "memo": (
        "memo", "notes", "note", "verwendungszweck", "reason", "comments", "mededeling",
        "vrije mededeling", "zprava", "kozlemeny", "description 2", "description 3", "vwz1", "purpose",
    ),
    "sign": (
        "credit/debit", "debit/credit", "c/d", "d/c", "cr/dr", "dr/cr", "af bij", "af/bij",
        "credit debit indicator", "transaction type", "soll/haben", "bevetel/kiadas", "direction",
        "creditdebet", "credit debet", "debet credit", "credit/debet", "debet/credit", "debit credit",
        "credit debit", "dr cr", "cr dr", "s/h", "soll haben", "debit/credit indicator", "cd indicator",

    ),
}  # fmt: skip

# Amount-like headers that are not the booked amount.
_NOT_THE_AMOUNT = re.compile(
    r"original|orig\b|foreign|fremd|refund|converted|\bfee|exchange|rate|disputed|transfer amount|"
    r"compensation|\btax|\bshipping|\bgift|\bquantity|\bprice|commission",
)
_PAREN_CURRENCY = re.compile(r"\((?P<c>[A-Za-z]{3})\)")

_NEGATIVE_MARKERS = {
    "d", "dr", "debit", "debet", "af", "out", "outflow", "o", "withdrawal", "expense", "s", "soll",
    "kiadas", "charge", "-",
}  # fmt: skip
_POSITIVE_MARKERS = {
    "c", "cr", "credit", "bij", "in", "inflow", "i", "deposit", "income", "h", "haben", "bevetel",
    "+",
}  # fmt: skip


def _fold(text: str) -> str:
    """Lower-case, strip accents and punctuation noise: 'Währung' → 'wahrung'."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    text = text.lower().replace("_", " ").strip().strip('"').strip()
    text = _PAREN_CURRENCY.sub("", text)
    return re.sub(r"\s+", " ", re.sub(r"[^a-z0-9/# ]", " ", text)).strip()


def _match_score(folded: str, names: Sequence[str]) -> int:
    """Higher is better; 0 is no match. Exact names beat prefix/suffix patterns."""
    for rank, name in enumerate(names):
        if (
            name.endswith("*")
            and folded.startswith(name[:-1])
            or name.startswith("*")
            and folded.endswith(name[1:])
        ):
            return 500 - rank
        if folded == name:
            return 1000 - rank
    return 0


@dataclass
class ColumnMap:
    """Which column (index) plays which role; ``description`` may be several."""

    date: int | None = None
    amount: int | None = None
    debit: int | None = None
    credit: int | None = None
    balance: int | None = None
    currency: int | None = None
    reference: int | None = None
    sign: int | None = None
    descriptions: list[int] = field(default_factory=list)
    header_currency: str | None = None  # from "Amount (EUR)"
    date_candidates: list[int] = field(default_factory=list)  # best first
    counterparty: int | None = None  # also among ``descriptions`` when guessed from the header
    posted_date: int | None = None
    # (debit markers, credit markers) a bank profile names; None: the common spellings.
    markers: tuple[frozenset[str], frozenset[str]] | None = None

    @property
    def usable(self) -> bool:
        return self.date is not None and (
            self.amount is not None or self.debit is not None or self.credit is not None
        )


def map_header(header: Sequence[str]) -> ColumnMap:
    """Map header names (English, German, Dutch, French, Spanish, Czech, Hungarian) to roles.

    :returns: a :class:`ColumnMap`; check ``usable`` (a date and an amount column).
    :raises: nothing.
    """
    folded = [_fold(h) for h in header]
    columns = ColumnMap()
    taken: set[int] = set()
    # The indicator before debit/credit: "Debit/Credit" is an indicator, not a debit column.
    for role in ("date", "sign", "amount", "debit", "credit", "balance", "currency", "reference"):
        best: tuple[int, int] | None = None
        for index, name in enumerate(folded):
            if index in taken or not name:
                continue
            if role in ("amount", "debit", "credit") and _NOT_THE_AMOUNT.search(name):
                continue
            score = _match_score(name, _ROLE_NAMES[role])
            if score and (best is None or score > best[0]):
                best = (score, index)
        if role == "date":
            scored = sorted(
                ((_match_score(name, _ROLE_NAMES["date"]), i) for i, name in enumerate(folded) if name),
                key=lambda pair: -pair[0],
            )
            columns.date_candidates = [i for score, i in scored if score]
        if best is not None:
            setattr(columns, role, best[1])
            taken.add(best[1])
            if role in ("amount", "debit", "credit", "balance") and columns.header_currency is None:
                m = _PAREN_CURRENCY.search(header[best[1]])
                if m and is_known_currency(m.group("c")):
                    columns.header_currency = m.group("c").upper()
    # Description columns: description-like first, then payee, then memo.
    for role in ("description", "payee", "memo"):
        for index, name in enumerate(folded):
            if index not in taken and name and _match_score(name, _ROLE_NAMES[role]):
                columns.descriptions.append(index)
                taken.add(index)
                if role == "payee" and columns.counterparty is None:
                    columns.counterparty = index
    return columns


def find_header(rows: Sequence[Sequence[str]], *, search: int = 30) -> tuple[int, ColumnMap] | None:
    """Find the header row among the first ``search`` rows (banks put preambles first).

    :returns: ``(row index, column map)`` of the first usable header, or ``None``.
    :raises: nothing.
    """
    for index, row in enumerate(rows[:search]):
        if len(row) < 2:
            continue
        columns = map_header(row)
        if columns.usable:
            return index, columns
    return None


def _is_date(value: str) -> bool:
    return parse_date_parts(value) is not None or parse_date_parts(value, day_first=False) is not None


def _infer_columns(rows: Sequence[Sequence[str]]) -> ColumnMap | None:
    """Column roles for a file without a header, read from the values."""
    sample = [row for row in rows[:50] if len(row) > 1]
    if not sample:
        return None
    width = max(len(row) for row in sample)

    def share(index: int, test: Callable[[str], object]) -> float:
        values = [row[index].strip() for row in sample if index < len(row) and row[index].strip()]
        return sum(1 for v in values if test(v)) / len(sample) if values else 0.0

    columns = ColumnMap()
    date_scores = [share(i, _is_date) for i in range(width)]
    if max(date_scores) < 0.8:
        return None
    columns.date = date_scores.index(max(date_scores))
    amount_scores = [
        share(i, lambda v: bool(re.search(r"\d[.,]\d\d$", v)) and parse_amount(v) is not None)
        if i != columns.date
        else 0.0
        for i in range(width)
    ]
    if max(amount_scores) < 0.8:
        return None
    columns.amount = amount_scores.index(max(amount_scores))
    for i in range(width):
        if i in (columns.date, columns.amount):
            continue
        values = {row[i].strip().lower() for row in sample if i < len(row) and row[i].strip()}
        if values and values <= (_NEGATIVE_MARKERS | _POSITIVE_MARKERS) - {"-", "+"} and columns.sign is None:
            columns.sign = i
    text_lengths = [
        (sum(len(row[i]) for row in sample if i < len(row)), i)
        for i in range(width)
        if i not in (columns.date, columns.amount, columns.sign)
    ]
    if text_lengths:
        columns.descriptions = [max(text_lengths)[1]]
    return columns


# -- rows ----------------------------------------------------------------------


def _cell(row: Sequence[str], index: int | None) -> str:
    if index is None or index >= len(row):
        return ""
    return row[index].strip()


def _decimal_separator(rows: Sequence[Sequence[str]], indexes: Sequence[int | None]) -> str | None:
    """Settle ``1,234`` vs ``1,234``-as-decimal for a whole file from its other values."""
    comma = dot = 0
    for row in rows:
        for index in indexes:
            value = _cell(row, index)
            if re.search(r",\d{1,2}\)?-?$", value) or re.search(r"\.\d{3},", value):
                comma += 1
            elif re.search(r"\.\d{1,2}\)?-?$", value) or re.search(r",\d{3}\.", value):
                dot += 1
    if comma == dot:
        return None
    return "," if comma > dot else "."


def _sign_of(marker: str, markers: tuple[frozenset[str], frozenset[str]] | None = None) -> int:
    if markers is not None:
        folded = fold_header(marker)
        return -1 if folded in markers[0] else (1 if folded in markers[1] else 0)
    folded = _fold(marker) if marker not in "+-" else marker
    if folded in _NEGATIVE_MARKERS:
        return -1
    if folded in _POSITIVE_MARKERS:
        return 1
    return 0


#: Caps on a CSV's shape (the CSV parser passes ``EXPENSE_AI["MAX_CSV_COLUMNS"]`` and
#: ``["MAX_CSV_LINE_LENGTH"]``): a bank export has tens of columns and lines of a few hundred characters.
DEFAULT_MAX_COLUMNS = 1000
DEFAULT_MAX_LINE_LENGTH = 65_536
# Rows (or lines) between two looks at the processing deadline: cheap, and often enough.
_CHECK_EVERY = 1024
_DELIMITERS = (",", ";", "\t", "|")
# A cell shaped like a numeric date ("31/02/2026", "2026-13-45", "20261345"): when it does
# not read as a date, the row is broken, not a trailer.
_DATE_SHAPE = re.compile(r"\d{1,4}\s*[/.\-]\s*\d{1,2}\s*[/.\-]\s*\d{1,4}|(?:19|20)\d{6}")


def check_shape(text: str, *, max_columns: int = DEFAULT_MAX_COLUMNS, max_line_length: int = DEFAULT_MAX_LINE_LENGTH) -> None:
    """Refuse a CSV whose lines are too wide or too long, before any real work.

    Columns are counted as delimiters on a line (``,`` ``;`` tab ``|``, the most
    frequent), quoted or not, so the check costs one pass in C over each line
    that is long enough to matter. ``0`` turns a cap off.

    :raises ProcessingLimitExceeded: ``limit`` is ``"MAX_CSV_COLUMNS"`` or
        ``"MAX_CSV_LINE_LENGTH"``; the message names the line.
    :raises: also what :func:`limits.check` raises once the processing time is spent.
    """
    for number, line in enumerate(text.splitlines(), 1):
        if number % _CHECK_EVERY == 0:
            limits.check(f"CSV line {number:,}")
        length = len(line)
        if max_columns and length >= max_columns:
            width = 1 + max(line.count(d) for d in _DELIMITERS)
            if width > max_columns:
                raise ProcessingLimitExceeded(
                    f"Line {number:,} of this CSV file has {width:,} columns; the limit is "
                    f"{max_columns:,}. A bank export has far fewer: export the statement again, or ask "
                    "your administrator to raise EXPENSE_AI['MAX_CSV_COLUMNS'].",
                    limit="MAX_CSV_COLUMNS",
                    value=max_columns,
                )
        if max_line_length and length > max_line_length:
            raise ProcessingLimitExceeded(
                f"Line {number:,} of this CSV file is {length:,} characters long; the limit is "
                f"{max_line_length:,}. Export the statement again, or ask your administrator to raise "
                "EXPENSE_AI['MAX_CSV_LINE_LENGTH'].",
                limit="MAX_CSV_LINE_LENGTH",
                value=max_line_length,
            )


def parse_csv_text(
    text: str,
    *,
    parser: str = "csv",
    encoding: str = "",
    profile: BankProfile | None = None,
    profiles: Sequence[BankProfile] = (),
    max_columns: int = DEFAULT_MAX_COLUMNS,
    max_line_length: int = DEFAULT_MAX_LINE_LENGTH,
) -> ParsedStatement:
    """Read the rows of a decoded CSV statement.

    With a ``profile`` whose columns the file's header holds, the profile says
    how to read it; without one, the best fitting of ``profiles`` (the one
    naming the most columns, see :func:`.profiles.best_profile`) does; otherwise the columns are guessed from their names (or,
    without a header, from their values). Either way dates are read the same
    way for the whole column (day-first or month-first is decided by all its
    values), an indicator column (``D``/``C``, ``Af``/``Bij``, ``Soll``/``Haben``
    ...) decides the sign, a currency column is read per row, and the
    counterparty fills an empty description and is kept as the row's merchant.
    Preamble lines above the header and summary lines below the rows are skipped.

    :returns: a :class:`ParsedStatement`; skipped lines (totals, trailers) are
        counted in its warnings.
    :raises UnsupportedFormat: no date and amount columns could be found.
    :raises CorruptStatement: the text cannot be split into rows at all.
    :raises UnreadableRow: a row's date is not a real date (``31/02/2026``), no
        row has a readable date, or an amount is beyond what the ledger stores;
        ``row`` is the file's line number and ``field`` the field.
    :raises ProcessingLimitExceeded: too many columns, too long a line, or the processing time is spent.
    """
    text = text.lstrip("\ufeff")
    check_shape(text, max_columns=max_columns, max_line_length=max_line_length)
    delimiter = profile.delimiter if profile is not None and profile.delimiter else sniff_delimiter(text)
    rows, line_numbers = _split_rows(text, delimiter)
    warnings: list[str] = []
    layout = _find_layout(rows, line_numbers, profile, profiles, warnings)
    columns, profile = layout.columns, layout.profile
    currency = _file_currency(columns, layout.body, profile)
    decimal_separator = (profile.decimal_separator or None) if profile is not None else None
    if decimal_separator is None:
        decimal_separator = _decimal_separator(layout.body, [columns.amount, columns.debit, columns.credit, columns.balance])
    read_date = _column_date_reader(columns, layout.body, currency, profile)
    body = _read_body(layout, currency=currency, decimal_separator=decimal_separator, read_date=read_date)
    # Numeric dates with a year need no reference; year-less ones resolve against the file's own dates.
    parsed_rows = _resolve_years(body.pending, body.skipped)
    if not parsed_rows and body.unread_date is not None:
        raise _bad_date(body.unread_date[0], body.unread_date[1], columns, read_date)
    if body.skipped:
        warnings.append(
            f"{len(body.skipped)} line(s) without a readable date and amount were skipped "
            f"(first: {body.skipped[0]!r})."
        )
    if not parsed_rows:
        warnings.append("No transaction rows were found in this CSV file.")
    if profile is not None:
        warnings.append(f"Read with the bank profile {profile.name!r}.")
    if encoding not in ("", "utf-8", "ascii"):
        warnings.append(f"Decoded as {encoding}.")
    dates = [r.date for r in parsed_rows]
    return ParsedStatement(
        format="csv",
        parser=parser,
        rows=tuple(parsed_rows),
        raw_text=text,
        currency=currency or _single_currency(parsed_rows),
        period_start=min(dates) if dates else None,
        period_end=max(dates) if dates else None,
        opening_balance=None,
        closing_balance=_closing_balance(parsed_rows),
        account_hint=_account_hint(layout.preamble, rows, columns),
        confidence=_confidence(parsed_rows, body.skipped, layout.had_header),
        warnings=tuple(warnings),
    )


def _split_rows(text: str, delimiter: str) -> tuple[list[list[str]], list[int]]:
    """The rows that hold something, and the file line each starts on.

    :raises CorruptStatement: the text cannot be split into rows, or none holds anything.
    """
    rows: list[list[str]] = []
    line_numbers: list[int] = []
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        for row in reader:
            if any(cell.strip() for cell in row):
                rows.append(row)
                line_numbers.append(reader.line_num)
    except csv.Error as err:
        raise CorruptStatement(f"This CSV file cannot be split into rows ({err}). Export it again.") from err
    if not rows:
        raise CorruptStatement("This CSV file has no rows. Export the statement again.")
    return rows, line_numbers


@dataclass
class _Layout:
    """Where a file's transactions are, and how its columns read."""

    columns: ColumnMap
    body: list[list[str]]  # the rows under the header (every row without one)
    body_lines: list[int]  # the file line of each body row
    preamble: list[list[str]]  # the rows above the header
    had_header: bool
    profile: BankProfile | None  # the bank profile that fitted, if any


def _find_layout(
    rows: list[list[str]],
    line_numbers: list[int],
    profile: BankProfile | None,
    profiles: Sequence[BankProfile],
    warnings: list[str],
) -> _Layout:
    """The columns from ``profile`` (else the best of ``profiles``) when it fits, else from the
    header's names, else from the values of a file without a header.

    :raises UnsupportedFormat: no date and amount columns could be found.
    """
    header_index: int | None = None
    columns: ColumnMap | None = None
    if profile is None and profiles:
        profile = best_profile(profiles, rows)
    if profile is not None:
        located = _profile_columns(profile, rows)
        if located is None:
            warnings.append(
                f"The bank profile {profile.name!r} does not fit this file's header; the columns were guessed."
            )
            profile = None
        else:
            header_index, columns = located
    if columns is None:
        found = find_header(rows)
        if found is not None:
            header_index, columns = found
            _choose_date_column(columns, rows[header_index + 1 :])
    if columns is not None and header_index is not None:
        start = header_index + 1
        return _Layout(columns, rows[start:], line_numbers[start:], rows[:header_index], True, profile)
    inferred = _infer_columns(rows)
    if inferred is None:
        raise UnsupportedFormat(
            "No date and amount columns were found in this CSV file. Export it with column "
            "headers (Date, Description, Amount or Debit/Credit), or use the AI parser."
        )
    warnings.append("The file has no header row; columns were guessed from their values.")
    return _Layout(inferred, rows, line_numbers, [], False, profile)


def _file_currency(columns: ColumnMap, body: Sequence[Sequence[str]], profile: BankProfile | None) -> str | None:
    """The file's currency: the header's ("Amount (EUR)"), the profile's, else the currency column's most common."""
    currency = columns.header_currency
    if profile is not None and profile.fixed_currency:
        currency = profile.fixed_currency
    if currency is None and columns.currency is not None:
        codes = Counter(_cell(r, columns.currency).upper() for r in body if _cell(r, columns.currency))
        if codes:
            code = codes.most_common(1)[0][0]
            currency = code if is_known_currency(code) else None
    return currency


@dataclass
class _Body:
    """What the body rows gave: rows to date, labels of the rows skipped, and the first
    row whose date text did not read (named when no row has a date)."""

    pending: list[_PendingRow] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    unread_date: tuple[int, str] | None = None  # (file line, date text)


def _read_body(
    layout: _Layout, *, currency: str | None, decimal_separator: str | None, read_date: _DateReader
) -> _Body:
    """Read each body row; a row with text only, right after a transaction, continues its description.

    :raises UnreadableRow: a date shaped like a date is not one, or an amount is beyond what the ledger stores.
    :raises ProcessingLimitExceeded: the processing time is spent.
    """
    columns = layout.columns
    negated = layout.profile is not None and layout.profile.sign_rule == "negated"
    body = _Body()
    pending, skipped = body.pending, body.skipped
    for number, (row, line) in enumerate(zip(layout.body, layout.body_lines, strict=True), 1):
        if number % _CHECK_EVERY == 0:
            limits.check(f"CSV row {number:,}")
        date_text = _cell(row, columns.date)
        parts = read_date(date_text) if date_text else None
        amount = _row_amount(row, columns, decimal_separator)
        if amount is not None and negated:
            amount = -amount
        if parts is not None and amount is not None:
            pending.append(_pending_row(row, line, parts, amount, columns, currency, decimal_separator, read_date))
            continue
        if not date_text and amount is None and pending:
            extra = " ".join(_cell(row, i) for i in columns.descriptions if _cell(row, i))
            if extra and not any(_cell(row, i) for i in (columns.debit, columns.credit, columns.balance)):
                pending[-1].description = f"{pending[-1].description} {extra}".strip()
                continue
        if parts is None and date_text and amount is not None:
            if _DATE_SHAPE.fullmatch(date_text.strip()):
                raise _bad_date(line, date_text, columns, read_date)
            body.unread_date = body.unread_date or (line, date_text)
        skipped.append(date_text or " ".join(c for c in row if c.strip())[:40])
    return body


def _pending_row(
    row: Sequence[str],
    line: int,
    parts: DateParts,
    amount: Decimal,
    columns: ColumnMap,
    currency: str | None,
    decimal_separator: str | None,
    read_date: _DateReader,
) -> _PendingRow:
    """The transaction on ``row`` (file line ``line``), whose date parts and amount read.

    :raises UnreadableRow: the amount is beyond what the ledger stores.
    """
    if abs(amount) >= MAX_ABS_AMOUNT:
        raise UnreadableRow(
            f"Line {line:,} of this CSV file has the amount {_short(_amount_text(row, columns))!r}, "
            "beyond what the ledger stores (at most 11 digits before the decimal point). Check the "
            "file's amount column, or export it again.",
            row=line,
            field="amount",
            value=_short(_amount_text(row, columns)),
        )
    merchant = " ".join(_cell(row, columns.counterparty).split())
    row_currency = currency
    if columns.currency is not None:
        code = _cell(row, columns.currency).upper()
        row_currency = code if is_known_currency(code) else currency
    posted_text = _cell(row, columns.posted_date)
    return _PendingRow(
        parts=parts,
        description=_description(row, columns.descriptions) or merchant,
        amount=amount,
        currency=row_currency,
        balance=parse_amount(_cell(row, columns.balance), decimal_separator=decimal_separator),
        reference=_cell(row, columns.reference),
        merchant=merchant,
        posted=read_date(posted_text) if posted_text else None,
        line=line,
    )


def _resolve_years(pending: Sequence[_PendingRow], skipped: list[str]) -> list[StatementRow]:
    """The rows, their year-less dates resolved against the file's full dates; rows whose
    date stays unknown are added to ``skipped``."""
    references = [d for p in pending if p.parts[0] is not None and (d := resolve_year(p.parts, ()))]
    rows: list[StatementRow] = []
    for p in pending:
        date = resolve_year(p.parts, references)
        if date is None:
            skipped.append(p.description[:40])
            continue
        rows.append(
            StatementRow(
                date=date,
                description=p.description,
                amount=_q(p.amount, p.currency),
                currency=p.currency,
                balance=_q(p.balance, p.currency) if p.balance is not None else None,
                bank_id=p.reference,
                posted_date=resolve_year(p.posted, references) if p.posted else None,
                merchant=p.merchant,
            )
        )
    return rows


@dataclass
class _PendingRow:
    """A row read before the years of year-less dates are settled."""

    parts: DateParts
    description: str
    amount: Decimal
    currency: str | None
    balance: Decimal | None
    reference: str
    merchant: str
    posted: DateParts | None
    line: int


class _DateReader:
    """Reads every date of a column the same way; ``order`` says how, for messages."""

    def __init__(self, day_first: bool, profile: BankProfile | None) -> None:
        self.day_first = day_first
        self.pattern = profile.date_format if profile is not None and "%" in profile.date_format else ""
        self.order = f"as {self.pattern}" if self.pattern else ("day-first" if day_first else "month-first")

    def __call__(self, text: str) -> DateParts | None:
        if self.pattern:
            try:
                day = dt.datetime.strptime(text.strip(), self.pattern).date()
            except ValueError:
                return None
            return (day.year, day.month, day.day)
        return parse_date_parts(text, day_first=self.day_first)


def _column_date_reader(
    columns: ColumnMap, body: Sequence[Sequence[str]], currency: str | None, profile: BankProfile | None
) -> _DateReader:
    """Decide day-first or month-first once, from every value of the date column."""
    order = profile.date_format if profile is not None else ""
    if order == "day_first":
        return _DateReader(True, profile)
    if order == "month_first":
        return _DateReader(False, profile)
    samples = [_cell(r, columns.date) for r in body]
    samples += [_cell(r, columns.posted_date) for r in body] if columns.posted_date is not None else []
    return _DateReader(guess_day_first(samples, currency=currency), profile)


def _bad_date(line: int, text: str, columns: ColumnMap, read_date: _DateReader) -> UnreadableRow:
    value = _short(text)
    return UnreadableRow(
        f"Line {line:,} of this CSV file has the date {value!r}, which is not a real date (the column "
        f"is read {read_date.order}). Correct the date or export the statement again.",
        row=line,
        field="date",
        value=value,
    )


def _short(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _amount_text(row: Sequence[str], columns: ColumnMap) -> str:
    for index in (columns.amount, columns.debit, columns.credit):
        if _cell(row, index):
            return _cell(row, index)
    return ""


def _profile_columns(profile: BankProfile, rows: Sequence[Sequence[str]]) -> tuple[int, ColumnMap] | None:
    """The header row and column map a profile gives, or ``None`` when the file's header does not fit."""
    if profile.preamble_lines is not None:
        candidates = [profile.preamble_lines] if profile.preamble_lines < len(rows) else []
    else:
        candidates = list(range(min(30, len(rows))))
    index = next((i for i in candidates if profile.matches(rows[i])), None)
    if index is None:
        return None
    position: dict[str, int] = {}
    for i, cell in enumerate(rows[index]):
        position.setdefault(fold_header(cell), i)

    def at(name: str) -> int | None:
        return position.get(fold_header(name)) if name else None

    columns = ColumnMap(
        date=at(profile.date),
        amount=at(profile.amount) if profile.sign_rule != "debit_credit" else None,
        debit=at(profile.debit) if profile.sign_rule == "debit_credit" else None,
        credit=at(profile.credit) if profile.sign_rule == "debit_credit" else None,
        balance=at(profile.balance),
        currency=at(profile.currency),
        reference=at(profile.reference),
        sign=at(profile.indicator) if profile.sign_rule == "indicator" else None,
        descriptions=[col for name in profile.description if (col := at(name)) is not None],
        counterparty=at(profile.counterparty),
        posted_date=at(profile.posted_date),
    )
    if profile.debit_markers or profile.credit_markers:
        columns.markers = (
            frozenset(fold_header(m) for m in profile.debit_markers),
            frozenset(fold_header(m) for m in profile.credit_markers),
        )
    return index, columns


def detect_profile(text: str, *, name: str = "saved") -> BankProfile | None:
    """The profile that reads ``text`` the way it was just read, to save for next time.

    Uses the file's own header names; a file without a header has no profile
    (its columns have no names to find again).

    :returns: a :class:`BankProfile`, or ``None`` when the file has no usable header.
    :raises: nothing.
    """
    text = text.lstrip("\ufeff")
    delimiter = sniff_delimiter(text)
    try:
        rows = [row for row in csv.reader(io.StringIO(text[:200_000], newline=""), delimiter=delimiter)]
    except csv.Error:
        return None
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    found = find_header(rows)
    if found is None:
        return None
    header_index, columns = found
    body = rows[header_index + 1 :]
    _choose_date_column(columns, body)
    header = rows[header_index]

    def name_of(index: int | None) -> str:
        return header[index].strip() if index is not None and index < len(header) else ""

    if columns.amount is not None:
        sign_rule = "indicator" if columns.sign is not None else "signed"
    else:
        sign_rule = "debit_credit"
    currency = columns.header_currency or ""
    separator = _decimal_separator(body, [columns.amount, columns.debit, columns.credit, columns.balance]) or ""
    samples = [_cell(r, columns.date) for r in body]
    # Saved only when the values prove it (a day above 12 somewhere); else decided again next time.
    day_first = guess_day_first(samples, currency="EUR")
    proven = day_first == guess_day_first(samples, currency="USD")
    return BankProfile(
        name=name,
        date=name_of(columns.date),
        amount=name_of(columns.amount),
        debit=name_of(columns.debit),
        credit=name_of(columns.credit),
        indicator=name_of(columns.sign) if sign_rule == "indicator" else "",
        sign_rule=sign_rule,
        description=tuple(name_of(i) for i in columns.descriptions if i != columns.counterparty and name_of(i)),
        counterparty=name_of(columns.counterparty),
        currency=name_of(columns.currency),
        fixed_currency=currency if currency and columns.currency is None else "",
        balance=name_of(columns.balance),
        reference=name_of(columns.reference),
        date_format=("day_first" if day_first else "month_first") if proven else "",
        decimal_separator=separator,
        delimiter=delimiter,
    )


def _choose_date_column(columns: ColumnMap, body: Sequence[Sequence[str]]) -> None:
    """Several columns may be called a date; keep the best-named one that holds dates."""
    for index in columns.date_candidates:
        values = [_cell(row, index) for row in body[:50] if _cell(row, index)]
        if values and sum(1 for v in values if _is_date(v)) * 2 >= len(values):
            if index in columns.descriptions:
                columns.descriptions.remove(index)
            columns.date = index
            return


def _row_amount(row: Sequence[str], columns: ColumnMap, decimal_separator: str | None) -> Decimal | None:
    if columns.amount is not None:
        amount = parse_amount(_cell(row, columns.amount), decimal_separator=decimal_separator)
    else:
        debit = parse_amount(_cell(row, columns.debit), decimal_separator=decimal_separator)
        credit = parse_amount(_cell(row, columns.credit), decimal_separator=decimal_separator)
        if debit is None and credit is None:
            return None
        if columns.debit is None:
            amount = credit  # a lone "credit"/"inflow" column is a signed amount
        elif columns.credit is None:
            amount = -debit if debit is not None else None
        else:
            amount = abs(credit or Decimal(0)) - abs(debit or Decimal(0))
    if amount is None:
        return None
    if columns.sign is not None:
        sign = _sign_of(_cell(row, columns.sign), columns.markers)
        if sign:
            amount = abs(amount) * sign
    return amount


def _description(row: Sequence[str], indexes: Sequence[int]) -> str:
    parts: list[str] = []
    for index in indexes:
        value = " ".join(_cell(row, index).split())
        if value and not any(value in p for p in parts):
            parts.append(value)
    return " — ".join(parts[:3])


def _q(value: Decimal, currency: str | None) -> Decimal:
    return quantize(value, currency) if currency else value


def _single_currency(rows: Sequence[StatementRow]) -> str | None:
    codes = {r.currency for r in rows if r.currency}
    return codes.pop() if len(codes) == 1 else None


def _closing_balance(rows: Sequence[StatementRow]) -> Decimal | None:
    dated = [r for r in rows if r.balance is not None]
    if not dated:
        return None
    # Exports run oldest-first or newest-first; the closing balance belongs to the latest date.
    first, last = dated[0], dated[-1]
    return last.balance if last.date >= first.date else first.balance


def _account_hint(
    preamble: Sequence[Sequence[str]], rows: Sequence[Sequence[str]], columns: ColumnMap
) -> str:
    for row in preamble:
        joined = " ".join(row)
        if m := re.search(r"(?:account|konto|rekening|compte|cuenta)\D{0,30}(\d[\d\- ]{5,}\d)", joined, re.I):
            return mask_account(m.group(1))
    return ""


def _confidence(rows: Sequence[StatementRow], skipped: Sequence[str], had_header: bool) -> float:
    if not rows:
        return 0.0
    base = 0.9 if had_header else 0.6
    return round(base * len(rows) / (len(rows) + len(skipped)), 3)
