"""Readers that use what the file says (issue 18.1), bank profiles (18.2), no silent empties (14.6)
and CSV limits (14.5): every rule with a fixture built here."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.test import override_settings

from django_expense_ai import limits
from django_expense_ai.exceptions import (
    BankProfileError,
    CorruptStatement,
    NotYours,
    PluginError,
    ProcessingLimitExceeded,
    UnreadableRow,
)
from django_expense_ai.models import Account, StatementProcessingLog, Transaction
from django_expense_ai.statements import import_statement, read_statement
from django_expense_ai.statements.account_profiles import (
    account_profile,
    clear_account_profile,
    save_account_profile,
)
from django_expense_ai.statements.bank_profiles import get_bank_profile, get_bank_profiles
from django_expense_ai.statements.formats import csvfmt
from django_expense_ai.statements.formats.profiles import BUILTIN_PROFILES, BankProfile

from .pdf_factory import monospace_pdf

# -- a Knab-shaped export ------------------------------------------------------------


@dataclass(frozen=True)
class KnabRow:
    day: dt.date
    currency: str
    indicator: str  # "D" money out, "C" money in
    amount: Decimal  # unsigned, as printed
    counterparty: str
    description: str

    @property
    def signed(self) -> Decimal:
        return -self.amount if self.indicator == "D" else self.amount


KNAB_HEADER = (
    "Rekeningnummer;Transactiedatum;Valutacode;CreditDebet;Bedrag;Tegenrekeningnummer;"
    "Tegenrekeninghouder;Valutadatum;Betaalwijze;Omschrijving;Type betaling;Machtigingsnummer;"
    "Incassant ID;Adres;Referentie;Boekdatum"
)


def knab_rows(count: int = 28) -> list[KnabRow]:
    """Deterministic rows: mostly debits, some big credits (thousands), some without Omschrijving."""
    rows = []
    for i in range(count):
        credit = i % 6 == 5
        amount = Decimal(1000 + i * 977) + Decimal(i * 7 % 100) / 100 if credit else Decimal(3 + i * 13 % 90) + Decimal(i * 31 % 100) / 100
        rows.append(
            KnabRow(
                day=dt.date(2024, 1, 3) + dt.timedelta(days=i),
                currency="EUR",
                indicator="C" if credit else "D",
                amount=amount,
                counterparty=f"Winkel {i:02d} B.V.",
                description="" if i % 4 == 2 else f"Betaling {i:02d} pas 1234",
            )
        )
    return rows


def _dutch(amount: Decimal) -> str:
    whole, _, cents = f"{amount:.2f}".partition(".")
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    return ".".join([whole, *groups]) + "," + cents


def knab_csv(rows: list[KnabRow]) -> bytes:
    lines = ["KNAB EXPORT;;;", KNAB_HEADER]
    for i, r in enumerate(rows):
        cells = [
            "NL12KNAB0123456789", r.day.strftime("%d-%m-%Y"), r.currency, r.indicator, _dutch(r.amount),
            f"NL{i:02d}BANK000000{i:04d}", r.counterparty, r.day.strftime("%d-%m-%Y"), "iDEAL",
            r.description, "", "", "", "", f"C4A{i:05d}", r.day.strftime("%d-%m-%Y"),
        ]  # fmt: skip
        lines.append(";".join(f'"{c}"' for c in cells))
    lines.append(f'"Aantal transacties: {len(rows)}";;;;;;;;;;;;;;;')
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def _check_knab(parsed, rows: list[KnabRow]) -> None:
    assert len(parsed.rows) == len(rows) == 28
    assert sum(r.amount for r in parsed.rows) == sum(r.signed for r in rows)
    assert [r.amount for r in parsed.rows] == [r.signed for r in rows]
    assert [r.date for r in parsed.rows] == [r.day for r in rows]
    assert {r.currency for r in parsed.rows} == {"EUR"}
    for got, printed in zip(parsed.rows, rows, strict=True):
        assert got.merchant == printed.counterparty
        if not printed.description:
            assert got.description == printed.counterparty  # the counterparty fills it
        else:
            assert printed.description in got.description


def test_knab_export_reads_signs_currency_and_counterparty_from_its_columns():
    rows = knab_rows()
    parsed = read_statement(knab_csv(rows), "knab.csv")
    _check_knab(parsed, rows)
    assert any("nl-debit-credit" in w for w in parsed.warnings)  # the built-in profile read it
    assert any("1 line(s)" in w for w in parsed.warnings)  # the summary line below the rows


def test_knab_export_reads_the_same_without_any_profile():
    rows = knab_rows()
    text = knab_csv(rows).decode("utf-8")
    parsed = csvfmt.parse_csv_text(text)  # the generic reader: columns guessed from their names
    _check_knab(parsed, rows)
    assert not any("profile" in w for w in parsed.warnings)


def test_knab_import_creates_signed_transactions_with_merchants(user):
    rows = knab_rows()
    uf = import_statement(user, knab_csv(rows), filename="knab.csv")
    assert uf.status == "completed", uf.error_message
    created = list(uf.transactions.order_by("date", "pk"))
    assert sum(t.amount for t in created) == sum(r.signed for r in rows)
    assert [t.merchant for t in created] == [r.counterparty for r in rows]
    assert {t.currency for t in created} == {"EUR"}


# -- indicator columns, currency per row, dates per column ---------------------------------


@pytest.mark.parametrize(
    ("header", "out", "into"),
    [
        ("D/C", "D", "C"),
        ("Debit/Credit", "Debit", "Credit"),
        ("DR/CR", "DR", "CR"),
        ("Af Bij", "Af", "Bij"),
        ("Soll/Haben", "Soll", "Haben"),
        ("S/H", "S", "H"),
        ("CreditDebet", "D", "C"),
    ],
)
def test_indicator_column_decides_the_sign(header, out, into):
    text = (
        f"Date;Description;Amount;{header}\n"
        f"2024-03-01;Rent;950,00;{out}\n"
        f"2024-03-02;Salary;2.500,00;{into}\n"
        f"2024-03-03;Coffee;3,20;{out}\n"
    )
    parsed = read_statement(text.encode(), "x.csv")
    assert [r.amount for r in parsed.rows] == [Decimal("-950.00"), Decimal("2500.00"), Decimal("-3.20")]


def test_currency_column_is_read_per_row():
    text = (
        "Date,Description,Amount,Currency\n"
        "2024-03-01,Hotel,-120.00,EUR\n"
        "2024-03-02,Taxi,-30.00,USD\n"
        "2024-03-03,Dinner,-45.50,EUR\n"
    )
    parsed = read_statement(text.encode(), "x.csv")
    assert [r.currency for r in parsed.rows] == ["EUR", "USD", "EUR"]


@pytest.mark.parametrize(
    ("late_row", "first_date"),
    [
        ("13/02/2024", dt.date(2024, 2, 1)),  # a day above 12 in the column: day-first for every row
        ("02/13/2024", dt.date(2024, 1, 2)),  # a month-first proof: every row month-first
    ],
)
def test_dates_are_read_one_way_for_the_whole_column(late_row, first_date):
    lines = ["Date,Description,Amount,Currency", "01/02/2024,First,-1.00,EUR"]
    lines += [f"0{m}/0{m}/2024,Same both ways,-1.00,EUR" for m in range(3, 10)]
    lines.append(f"{late_row},Decides,-1.00,EUR")
    parsed = read_statement("\n".join(lines).encode(), "x.csv")
    assert parsed.rows[0].date == first_date
    assert parsed.rows[-1].date == dt.date(2024, 2, 13)


def test_preamble_and_summary_lines_are_skipped():
    text = (
        "Kontoauszug Girokonto;;;\n"
        "Zeitraum: 01.03.2024 - 31.03.2024;;;\n"
        ";;;\n"
        "Buchungstag;Verwendungszweck;Betrag;Waehrung\n"
        "01.03.2024;Miete;-950,00;EUR\n"
        "15.03.2024;Gehalt;2.500,00;EUR\n"
        "Summe;;1.550,00;EUR\n"
        "Anzahl Buchungen: 2;;;\n"
    )
    parsed = read_statement(text.encode(), "x.csv")
    assert [(r.date, r.amount) for r in parsed.rows] == [
        (dt.date(2024, 3, 1), Decimal("-950.00")),
        (dt.date(2024, 3, 15), Decimal("2500.00")),
    ]


# -- no silent empties (issue 14.6) ---------------------------------------------------------


@pytest.mark.parametrize("impossible", ["31/02/2026", "2026-13-45"])
def test_csv_with_no_valid_date_is_an_error_naming_the_row_and_field(impossible):
    text = f"Date,Description,Amount\n{impossible},Coffee,-3.50\n{impossible},Tea,-2.10\n"
    with pytest.raises(UnreadableRow) as info:
        read_statement(text.encode(), "x.csv")
    assert info.value.field == "date" and info.value.row == 2
    assert impossible in str(info.value) and "Line 2" in str(info.value)


def test_csv_amount_beyond_the_ledger_column_is_an_error_naming_the_row_and_field():
    text = "Date,Description,Amount\n2024-03-01,Coffee,-3.50\n2024-03-02,Huge,99999999999999999999.99\n"
    with pytest.raises(UnreadableRow) as info:
        read_statement(text.encode(), "x.csv")
    assert info.value.field == "amount" and info.value.row == 3


def _ofx(transactions: list[tuple[str, str, str]]) -> bytes:
    body = "".join(
        f"<STMTTRN><TRNTYPE>OTHER<DTPOSTED>{day}<TRNAMT>{amount}<FITID>{i}<NAME>{name}</STMTTRN>\n"
        for i, (day, amount, name) in enumerate(transactions)
    )
    return (
        "OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\nSECURITY:NONE\nENCODING:USASCII\nCHARSET:1252\n"
        "COMPRESSION:NONE\nOLDFILEUID:NONE\nNEWFILEUID:NONE\n\n"
        "<OFX><SIGNONMSGSRSV1><SONRS><STATUS><CODE>0<SEVERITY>INFO</STATUS><DTSERVER>20240331"
        "<LANGUAGE>ENG</SONRS></SIGNONMSGSRSV1><BANKMSGSRSV1><STMTTRNRS><TRNUID>1<STATUS><CODE>0"
        "<SEVERITY>INFO</STATUS><STMTRS><CURDEF>USD<BANKACCTFROM><BANKID>121000248<ACCTID>99887766"
        "<ACCTTYPE>CHECKING</BANKACCTFROM><BANKTRANLIST><DTSTART>20240301<DTEND>20240331\n"
        f"{body}</BANKTRANLIST><LEDGERBAL><BALAMT>100.00<DTASOF>20240331</LEDGERBAL></STMTRS>"
        "</STMTTRNRS></BANKMSGSRSV1></OFX>\n"
    ).encode("ascii")


OFX_ROWS = [(f"202403{d:02d}", f"-{d}.25", f"SHOP {d}") for d in range(1, 11)]


def test_ofx_fixture_reads_when_whole():
    assert len(read_statement(_ofx(OFX_ROWS), "x.ofx").rows) == 10


def test_truncated_ofx_is_an_error_naming_where_it_stops():
    data = _ofx(OFX_ROWS)
    cut = data[: data.index(b"SHOP 7") + 3]
    with pytest.raises(UnreadableRow) as info:
        read_statement(cut, "x.ofx")
    assert info.value.row == 7 and info.value.field == "NAME"
    assert "cut off" in str(info.value)


def test_ofx_without_transactions_is_an_error():
    with pytest.raises(CorruptStatement) as info:
        read_statement(_ofx([]), "x.ofx")
    assert "no transactions" in str(info.value)


def test_ofx_amount_beyond_the_ledger_column_is_an_error():
    rows = [*OFX_ROWS[:3], ("20240304", "99999999999999999999.99", "HUGE")]
    with pytest.raises(UnreadableRow) as info:
        read_statement(_ofx(rows), "x.ofx")
    assert info.value.row == 4 and info.value.field == "TRNAMT"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b"Date,Description,Amount\n31/02/2026,Coffee,-3.50\n", "dates.csv"),
        (b"Date,Description,Amount\n2026-13-45,Coffee,-3.50\n", "dates.csv"),
        (b"Date,Description,Amount\n2024-03-01,Huge,99999999999999999999.99\n", "amount.csv"),
        (_ofx(OFX_ROWS)[:-200], "cut.ofx"),
        (_ofx([]), "empty.ofx"),
    ],
)
def test_silent_empties_fail_the_import_with_a_log_row_and_create_nothing(user, data, name):
    uf = import_statement(user, data, filename=name)
    assert uf.status == "failed" and uf.error_stage == "parse_attempt"
    log = uf.processing_logs.get(processing_stage="parse_attempt")
    assert log.status == "failed"
    assert not Transaction.objects.exists()


# -- CSV limits (issue 14.5) ---------------------------------------------------------------


def hostile_wide_csv() -> bytes:
    """The issue's input: a short preamble, then a header of a million columns (~7.9 MB)."""
    header = ";".join(f"c{i:06d}" for i in range(1_000_000))
    return ("Bank export;;;\nAccount: 123;;;\n" + header + "\n2024-01-01;x;1,00\n").encode()


def test_a_million_column_header_ends_with_the_column_limit():
    data = hostile_wide_csv()
    assert len(data) > 7_500_000
    with pytest.raises(ProcessingLimitExceeded) as info:
        read_statement(data, "wide.csv")
    assert info.value.limit == "MAX_CSV_COLUMNS" and "Line 3" in str(info.value)


@pytest.mark.django_db
def test_a_million_column_header_fails_the_import_naming_the_limit(user):
    # defer_large=False: read in the call, as a file over IMMEDIATE_MAX_BYTES would be by a worker.
    uf = import_statement(user, hostile_wide_csv(), filename="wide.csv", defer_large=False)
    assert uf.status == "failed" and "MAX_CSV_COLUMNS" in uf.error_message
    assert not Transaction.objects.exists()


def test_a_too_long_line_ends_with_the_line_length_limit():
    text = "Date,Description,Amount\n2024-01-01," + "x" * 70_000 + ",-1.00\n"
    with pytest.raises(ProcessingLimitExceeded) as info:
        read_statement(text.encode(), "long.csv")
    assert info.value.limit == "MAX_CSV_LINE_LENGTH"


def test_the_caps_come_from_the_settings():
    text = b"Date,Description,Amount,A,B,C\n2024-01-01,x,-1.00,1,2,3\n"
    assert len(read_statement(text, "x.csv").rows) == 1
    with override_settings(EXPENSE_AI={"MAX_CSV_COLUMNS": 5}):
        with pytest.raises(ProcessingLimitExceeded) as info:
            read_statement(text, "x.csv")
    assert info.value.limit == "MAX_CSV_COLUMNS" and info.value.value == 5


def test_the_processing_deadline_is_checked_while_rows_are_read():
    text = "Date,Description,Amount\n" + "".join(f"2024-01-01,row {i},-1.00\n" for i in range(5000))
    with limits.processing_deadline(1e-9):
        with pytest.raises(ProcessingLimitExceeded) as info:
            csvfmt.parse_csv_text(text)
    assert info.value.limit == "MAX_PROCESSING_SECONDS" and "CSV" in str(info.value)


# -- bank profiles (issue 18.2) ------------------------------------------------------------


@pytest.mark.parametrize("profile", BUILTIN_PROFILES, ids=lambda p: p.name)
def test_profiles_round_trip_through_json(profile):
    stored = json.loads(json.dumps(profile.to_dict()))
    assert BankProfile.from_dict(stored) == profile


@pytest.mark.parametrize(
    "data",
    [
        {"name": "x", "date": "Date", "amount": "Amount", "exec": "print(1)"},  # unknown key
        {"name": "x", "date": "Date", "amount": 3},  # wrong type
        {"name": "x", "date": "Date", "amount": "Amount", "sign_rule": "guess"},
        {"name": "x", "date": "Date", "sign_rule": "indicator", "amount": "Amount"},  # no indicator column
        {"name": "x", "amount": "Amount"},  # no date
        {"name": "x", "date": "Date", "amount": "Amount", "preamble_lines": "2"},
        ["name", "x"],
    ],
)
def test_malformed_profiles_are_refused(data):
    with pytest.raises(BankProfileError):
        BankProfile.from_dict(data)


def test_builtin_profiles_are_registered_by_the_builtin_plugin():
    names = {p.name for p in get_bank_profiles()}
    assert {"nl-debit-credit", "debit-credit"} <= names
    assert get_bank_profile("nl-debit-credit").sign_rule == "indicator"


def test_dutch_af_bij_profile_reads_its_shape():
    text = (
        '"Datum","Naam / Omschrijving","Rekening","Tegenrekening","Code","Af Bij","Bedrag (EUR)",'
        '"Mutatiesoort","Mededelingen"\n'
        '"20240301","Albert Heijn","NL01INGB0001","","BA","Af","23,45","Betaalautomaat","Pasvolgnr 001"\n'
        '"20240325","Werkgever BV","NL01INGB0001","NL02RABO0002","GT","Bij","2.345,67","Overschrijving",""\n'
    )
    parsed = read_statement(text.encode(), "ing.csv")
    assert any("'nl-af-bij'" in w for w in parsed.warnings)
    assert [(r.date, r.amount, r.currency) for r in parsed.rows] == [
        (dt.date(2024, 3, 1), Decimal("-23.45"), "EUR"),
        (dt.date(2024, 3, 25), Decimal("2345.67"), "EUR"),
    ]


def test_a_learned_profile_keeps_an_unproven_date_order_open():
    # Every day <= 12: nothing proves the order, so the saved profile leaves it to the next file.
    text = "Date,Description,Amount\n01/02/2024,a,-1.00\n03/04/2024,b,-2.00\n"
    assert csvfmt.detect_profile(text).date_format == ""
    proven = text + "25/04/2024,c,-3.00\n"
    assert csvfmt.detect_profile(proven).date_format == "day_first"


def test_generic_debit_credit_profile_reads_its_shape():
    text = (
        "Date,Description,Debit,Credit,Balance\n"
        "2024-03-01,Rent,950.00,,1050.00\n"
        "2024-03-02,Salary,,2500.00,3550.00\n"
    )
    parsed = read_statement(text.encode(), "x.csv")
    assert any("'debit-credit'" in w for w in parsed.warnings)
    assert [r.amount for r in parsed.rows] == [Decimal("-950.00"), Decimal("2500.00")]


# A card export: charges positive, payments negative. Its columns are guessable, its signs are not.
CARD_CSV = (
    b"Date,Merchant,Amount,Card Member\n"
    b"2024-03-01,BOOKSHOP,25.00,J DOE\n"
    b"2024-03-02,CAFE,4.50,J DOE\n"
    b"2024-03-05,PAYMENT RECEIVED,-29.50,J DOE\n"
)
NEGATED = {
    "name": "my-card", "date": "Date", "amount": "Amount", "sign_rule": "negated",
    "counterparty": "Merchant", "fixed_currency": "USD", "match": ["Card Member"],
}  # fmt: skip


def test_a_plugin_registers_a_profile_through_the_hook(register_plugin):
    assert [r.amount for r in read_statement(CARD_CSV, "c.csv").rows][0] == Decimal("25.00")  # guessed: wrong

    class CardPlugin:
        from django_expense_ai import hookimpl

        @hookimpl
        def register_bank_profiles(self, register):
            register(NEGATED)

    register_plugin(CardPlugin())
    parsed = read_statement(CARD_CSV, "c.csv")
    assert [r.amount for r in parsed.rows] == [Decimal("-25.00"), Decimal("-4.50"), Decimal("29.50")]
    assert [r.merchant for r in parsed.rows] == ["BOOKSHOP", "CAFE", "PAYMENT RECEIVED"]


def test_a_plugin_registering_two_profiles_of_one_name_is_refused(register_plugin):
    class Twice:
        from django_expense_ai import hookimpl

        @hookimpl
        def register_bank_profiles(self, register):
            register(NEGATED)
            register(NEGATED)

    register_plugin(Twice())
    with pytest.raises(PluginError):
        get_bank_profiles()


@pytest.mark.django_db
def test_a_profile_saved_for_the_account_reads_its_next_file(user):
    account = Account.objects.create(user=user, name="Card", currency="USD")
    first = import_statement(user, CARD_CSV, filename="march.csv", account=account)
    assert first.status == "completed"
    assert sorted(first.transactions.values_list("amount", flat=True))[-1] == Decimal("25.00")  # guessed
    save_account_profile(user, account, NEGATED)
    account.refresh_from_db()
    assert account.bank_profile == BankProfile.from_dict(NEGATED).to_dict()  # plain JSON
    april = CARD_CSV.replace(b"2024-03", b"2024-04")
    second = import_statement(user, april, filename="april.csv", account=account)
    assert second.status == "completed", second.error_message
    assert sorted(second.transactions.values_list("amount", flat=True)) == [
        Decimal("-25.00"), Decimal("-4.50"), Decimal("29.50"),
    ]  # fmt: skip
    log = second.processing_logs.get(processing_stage="text_extraction")
    assert log.details["bank_profile"] == "my-card"


@pytest.mark.django_db
def test_a_profile_is_learned_from_a_first_import_and_used_for_the_next(user):
    account = Account.objects.create(user=user, name="Giro", currency="EUR")
    text = (
        "Buchungstag;Verwendungszweck;Betrag;Soll/Haben;Waehrung\n"
        "01.03.2024;Miete;950,00;S;EUR\n"
        "13.03.2024;Gehalt;2.500,00;H;EUR\n"
    )
    first = import_statement(user, text.encode("utf-8"), filename="m.csv", account=account)
    assert first.status == "completed"
    learned = save_account_profile(user, account, uploaded_file=first)
    assert learned.sign_rule == "indicator" and learned.indicator == "Soll/Haben"
    assert learned.date_format == "day_first" and learned.decimal_separator == ","
    assert account_profile(user, account) == learned
    # An ambiguous next month (every day <= 12) is read day-first because the account says so.
    nxt = "Buchungstag;Verwendungszweck;Betrag;Soll/Haben;Waehrung\n02.04.2024;Miete;950,00;S;EUR\n"
    second = import_statement(user, nxt.encode("utf-8"), filename="a.csv", account=account)
    assert list(second.transactions.values_list("date", "amount")) == [(dt.date(2024, 4, 2), Decimal("-950.00"))]
    clear_account_profile(user, account)
    assert account_profile(user, account) is None


@pytest.mark.django_db
def test_profiles_of_another_users_account_are_not_yours(user, other_user):
    theirs = Account.objects.create(user=other_user, name="Theirs", currency="EUR")
    with pytest.raises(NotYours):
        save_account_profile(user, theirs, NEGATED)
    with pytest.raises(NotYours):
        account_profile(user, theirs)
    their_file = import_statement(other_user, CARD_CSV, filename="c.csv")
    mine = Account.objects.create(user=user, name="Mine", currency="EUR")
    with pytest.raises(NotYours):
        save_account_profile(user, mine, uploaded_file=their_file)
    assert Account.objects.get(pk=mine.pk).bank_profile is None


@pytest.mark.django_db
def test_a_stored_profile_that_no_longer_loads_is_ignored(user):
    account = Account.objects.create(user=user, name="Odd", currency="USD", bank_profile={"name": "x", "eval": "1"})
    uf = import_statement(user, CARD_CSV, filename="c.csv", account=account)
    assert uf.status == "completed"  # read by guessing, as without a profile


# -- PDF table reader ----------------------------------------------------------------------

CARD_LINES = [
    "ACME BANK                         Statement period 01/01/2024 to 01/31/2024",
    "",
    "Trans Date  Post Date   Description                         Amount",
    "            Previous balance                                1,234.56",
    "01/03       01/05       COFFEE SHOP SEATTLE                    4.50",
    "01/07       01/08       BOOKSTORE                             25.00",
    "01/10       01/10       Pymt - Thank You                   -500.00",
    "01/14       01/16       REFUND BOOKSTORE                      10.00 CR",
    "01/20       01/22       GROCERY MART                          82.13",
    "            New balance                                      836.19",
]
EXPECTED_CARD = [
    (dt.date(2024, 1, 3), dt.date(2024, 1, 5), Decimal("-4.50")),
    (dt.date(2024, 1, 7), dt.date(2024, 1, 8), Decimal("-25.00")),
    (dt.date(2024, 1, 10), dt.date(2024, 1, 10), Decimal("500.00")),
    (dt.date(2024, 1, 14), dt.date(2024, 1, 16), Decimal("10.00")),
    (dt.date(2024, 1, 20), dt.date(2024, 1, 22), Decimal("-82.13")),
]


def test_card_statement_takes_the_transaction_date_and_keeps_the_posting_date():
    parsed = read_statement(monospace_pdf(*CARD_LINES), "card.pdf")
    assert [(r.date, r.posted_date, r.amount) for r in parsed.rows] == EXPECTED_CARD


def test_card_statement_printing_the_posting_date_first_reads_the_same():
    swapped = [
        f"{line[12:24]}{line[:12]}{line[24:]}" if line[:2].isdigit() else line.replace("Trans Date  Post Date ", "Post Date   Trans Date")
        for line in CARD_LINES
    ]  # fmt: skip
    parsed = read_statement(monospace_pdf(*swapped), "card.pdf")
    assert [(r.date, r.posted_date, r.amount) for r in parsed.rows] == EXPECTED_CARD


def test_card_balances_are_balances_and_the_rows_add_up():
    parsed = read_statement(monospace_pdf(*CARD_LINES), "card.pdf")
    assert not any("balance" in r.description.lower() for r in parsed.rows)
    assert parsed.opening_balance == Decimal("-1234.56") and parsed.closing_balance == Decimal("-836.19")
    assert parsed.opening_balance + sum(r.amount for r in parsed.rows) == parsed.closing_balance


def test_dated_balance_lines_of_an_account_statement_are_never_rows():
    lines = [
        "Date         Description                    Amount       Balance",
        "01/03/2024   Opening balance                            1,000.00",
        "02/03/2024   Supermarket                    -45.10        954.90",
        "05/03/2024   Salary                       2,000.00      2,954.90",
        "31/03/2024   Closing balance                            2,954.90",
    ]
    parsed = read_statement(monospace_pdf(*lines), "acct.pdf")
    assert [(r.date, r.amount) for r in parsed.rows] == [
        (dt.date(2024, 3, 2), Decimal("-45.10")),
        (dt.date(2024, 3, 5), Decimal("2000.00")),
    ]
    assert parsed.opening_balance == Decimal("1000.00") and parsed.closing_balance == Decimal("2954.90")


@pytest.mark.django_db
def test_card_pdf_import_balances_and_keeps_no_balance_row(user):
    uf = import_statement(user, monospace_pdf(*CARD_LINES), filename="card.pdf")
    assert uf.status == "completed", uf.error_message
    assert uf.transactions.count() == len(EXPECTED_CARD)
    assert uf.processing_logs.get(processing_stage="validation").details["balance_check"]["ok"] is True
    assert StatementProcessingLog.objects.filter(uploaded_file=uf, status="failed").count() == 0


def test_the_processing_deadline_is_checked_while_pdf_text_is_read():
    from django_expense_ai.statements.formats import pdf

    page = "\n".join(f"0{1 + i % 9}/03/2024   SHOP {i}   -1.00" for i in range(3000))
    assert len(pdf.parse_statement_text([page]).rows) == 3000
    with limits.processing_deadline(1e-9):
        with pytest.raises(ProcessingLimitExceeded) as info:
            pdf.parse_statement_text([page])
    assert info.value.limit == "MAX_PROCESSING_SECONDS" and "line 1,024" in str(info.value)


def test_card_convention_is_detected_from_the_signs_alone():
    # No card words and no "thank you": bare charges and a signed payment and refund are enough.
    lines = [
        "MEGA STORES REWARDS                 Statement period 01/01/2024 to 01/31/2024",
        "Trans Date  Post Date   Description                         Amount",
        "01/03       01/05       COFFEE SHOP SEATTLE                    4.50",
        "01/07       01/08       BOOKSTORE                             25.00",
        "01/10       01/10       PAYMENT RECEIVED                    -500.00",
        "01/14       01/16       REFUND BOOKSTORE                      10.00 CR",
        "01/20       01/22       GROCERY MART                          82.13",
    ]
    parsed = read_statement(monospace_pdf(*lines), "card.pdf")
    assert [r.amount for r in parsed.rows] == [amount for _, _, amount in EXPECTED_CARD]
    # A bank account whose signed rows are purchases keeps its signs.
    bank = [line.replace("PAYMENT RECEIVED", "HARDWARE STORE") for line in lines]
    amounts = [r.amount for r in read_statement(monospace_pdf(*bank), "bank.pdf").rows]
    assert amounts[:3] == [Decimal("4.50"), Decimal("25.00"), Decimal("-500.00")]
