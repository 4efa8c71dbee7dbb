"""CSV reading: encodings, delimiters, header names, amount formats, and corpus exports."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from django_expense_ai.exceptions import UnsupportedFormat
from django_expense_ai.statements.formats import csvfmt, parse_amount, parse_date_parts
from django_expense_ai.statements.reader import read_statement

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"


def corpus_bytes(relative: str) -> bytes:
    path = CORPUS / relative
    if not path.exists():
        pytest.skip(f"statement corpus not available ({path} missing)")
    return path.read_bytes()


def _read(text: str | bytes, name: str = "export.csv"):
    data = text.encode("utf-8") if isinstance(text, str) else text
    return read_statement(data, name)


# -- amounts -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("-1,234.56", "-1234.56"),
        ("1.234,56", "1234.56"),
        ("11'373.94", "11373.94"),
        ("1 234,56", "1234.56"),
        ("1\u00a0234,56", "1234.56"),
        ("$1,036.47", "1036.47"),
        ("-$5.00", "-5.00"),
        ("£8.99", "8.99"),
        ("€ 12,50", "12.50"),
        ("(412.16)", "-412.16"),
        ("12.34-", "-12.34"),
        ("12.34 CR", "12.34"),
        ("12.34 DR", "-12.34"),
        ("\u221242.00", "-42.00"),
        ("-8,78", "-8.78"),
        ("EUR 3.50", "3.50"),
        ("+00000000000115.8331", "115.8331"),
        ("1,000", "1000"),
    ],
)
def test_parse_amount(text, expected):
    assert parse_amount(text) == Decimal(expected)


@pytest.mark.parametrize("text", ["", "  ", "abc", "1.2.3,4,5", "12,34,5", "Pending", "2019-01-01"])
def test_parse_amount_rejects_non_amounts(text):
    assert parse_amount(text) is None


def test_decimal_separator_hint_settles_three_digit_groups():
    assert parse_amount("1.234") == Decimal("1.234")
    assert parse_amount("1.234", decimal_separator=",") == Decimal("1234")
    assert parse_amount("1,234") == Decimal("1234")
    assert parse_amount("1,234", decimal_separator=",") == Decimal("1.234")


_STYLES = st.sampled_from(
    [
        (",", "."),
        (".", ","),
        ("'", "."),
        (" ", ","),
        ("\u00a0", ","),
        ("", "."),
        ("", ","),
    ]
)
_NEGATIVE = st.sampled_from(["-{}", "({})", "{}-", "{} DR", "-$ {}", "\u2212{}"])
_POSITIVE = st.sampled_from(["{}", "+{}", "{} CR", "${}", "£{}", "{} EUR", "S${}"])


@given(
    cents=st.integers(min_value=0, max_value=10**13),
    style=_STYLES,
    negative=st.booleans(),
    neg_form=_NEGATIVE,
    pos_form=_POSITIVE,
)
def test_formatted_amounts_read_back(cents, style, negative, neg_form, pos_form):
    """Property: however a bank prints an amount, we read back the same Decimal."""
    value = Decimal(cents).scaleb(-2)
    group, decimal = style
    integer, fraction = f"{value:.2f}".split(".")
    grouped = f"{int(integer):,}".replace(",", group)
    body = f"{grouped}{decimal}{fraction}"
    text = (neg_form if negative else pos_form).format(body)
    expected = -value if negative else value
    # A hint is what a file gives us; without one a lone 3-digit group is a thousand.
    assert parse_amount(text, decimal_separator=decimal) == expected


# -- encodings and delimiters --------------------------------------------------

SAMPLE = "Date,Payee,Amount\n2024-03-01,{payee},-30.00\n2024-03-02,Shop,45.75\n"


@pytest.mark.parametrize(
    ("encoding", "payee", "bom"),
    [
        ("utf-8", "Café René", b""),
        ("utf-8", "Søren Ågård", b"\xef\xbb\xbf"),
        ("cp1252", "Boulangerie Müller €", b""),
        ("euc_jp", "東京スーパー山田下社", b""),
        ("gb18030", "北京餐厅上海超市", b""),
        ("utf-16", "Café René", b""),
    ],
)
def test_encodings_are_detected(encoding, payee, bom):
    data = bom + SAMPLE.format(payee=payee).encode(encoding)
    parsed = _read(data)
    assert [r.description for r in parsed.rows] == [payee, "Shop"]
    assert [r.amount for r in parsed.rows] == [Decimal("-30.00"), Decimal("45.75")]


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiters_are_sniffed(delimiter):
    lines = [
        ["Date", "Description", "Amount"],
        ["01/02/2024", "Coffee, large", "-3.50"],
        ["02/02/2024", "Pay", "100.00"],
    ]
    text = "\n".join(
        delimiter.join(f'"{c}"' if delimiter in c or "," in c else c for c in line) for line in lines
    )
    assert csvfmt.sniff_delimiter(text) == delimiter
    parsed = _read(text)
    assert [r.amount for r in parsed.rows] == [Decimal("-3.50"), Decimal("100.00")]
    assert parsed.rows[0].description == "Coffee, large"


# -- header layouts ------------------------------------------------------------


def test_german_export_with_decimal_comma_and_preamble():
    text = (
        "Kontoauszug;;;\n"
        "Kontonummer: 1234567890;;;\n"
        "\n"
        "Buchungstag;Verwendungszweck;Betrag (EUR);Kontostand\n"
        "10.10.2017;Drillisch Online AG;-98,76;1.234,56\n"
        "11.10.2017;Gehalt;2.500,00;3.734,56\n"
    )
    parsed = _read(text)
    assert [(r.date, r.amount, r.balance) for r in parsed.rows] == [
        (dt.date(2017, 10, 10), Decimal("-98.76"), Decimal("1234.56")),
        (dt.date(2017, 10, 11), Decimal("2500.00"), Decimal("3734.56")),
    ]
    assert parsed.currency == "EUR"
    assert parsed.closing_balance == Decimal("3734.56")
    assert parsed.account_hint == "****7890"


def test_dutch_af_bij_sign_column():
    text = (
        "Datum,Naam / Omschrijving,Rekening,Tegenrekening,Code,Af Bij,Bedrag (EUR),Mutatiesoort\n"
        '20240105,Albert Heijn,NL01,,BA,Af,"12,34",Betaalautomaat\n'
        '20240106,Werkgever BV,NL01,NL02,OV,Bij,"1.500,00",Overschrijving\n'
    )
    parsed = _read(text)
    assert [(r.date, r.amount) for r in parsed.rows] == [
        (dt.date(2024, 1, 5), Decimal("-12.34")),
        (dt.date(2024, 1, 6), Decimal("1500.00")),
    ]


def test_credit_debit_indicator_column():
    text = "Date;Description;Amount;C/D\n18.09.2017;HOFER;33,87;D\n19.09.2017;Refund;5,00;C\n"
    assert [r.amount for r in _read(text).rows] == [Decimal("-33.87"), Decimal("5.00")]


def test_separate_debit_credit_columns_with_dollar_signs():
    text = (
        '"Date","Description","Withdrawal","Deposit","RunningBalance"\n'
        '"08/17/2022","Deposit Mobile Banking","","$20.00","$878.47"\n'
        '"08/14/2022","BMO HARRIS BANK","$1,103.00","","$858.47"\n'
    )
    parsed = _read(text)
    assert [(r.date, r.amount, r.balance) for r in parsed.rows] == [
        (dt.date(2022, 8, 17), Decimal("20.00"), Decimal("878.47")),
        (dt.date(2022, 8, 14), Decimal("-1103.00"), Decimal("858.47")),
    ]
    assert parsed.closing_balance == Decimal("878.47")  # newest-first export


def test_paid_in_paid_out_and_parentheses():
    text = (
        "Date,Narrative,Paid out,Paid in,Balance\n"
        "03 Jan 2024,Rent,(750.00),,1250.00\n"
        "04 Jan 2024,Salary,,2000.00,3250.00\n"
    )
    assert [r.amount for r in _read(text).rows] == [Decimal("-750.00"), Decimal("2000.00")]


def test_reference_and_currency_columns():
    text = "id,created,description,amount,currency\nch_1,2021-02-03 13:12,Event,25.00,cad\nch_2,2021-02-04 09:00,Event,10.00,cad\n"
    parsed = _read(text)
    assert [r.bank_id for r in parsed.rows] == ["ch_1", "ch_2"]
    assert {r.currency for r in parsed.rows} == {"CAD"} and parsed.currency == "CAD"


def test_jpy_amounts_are_quantised_to_whole_yen():
    parsed = _read("Date,Description,Amount,Currency\n2024-01-02,Ramen,-980,JPY\n")
    assert parsed.rows[0].amount == Decimal("-980") and parsed.rows[0].amount.as_tuple().exponent == 0


def test_headerless_export_is_guessed_from_values():
    text = '6/12/15,Transfer from Checking,"1,000.00",debit\n6/13/15,Transfer to Savings,"2,000.00",credit\n'
    parsed = _read(text)
    assert [(r.date, r.amount) for r in parsed.rows] == [
        (dt.date(2015, 6, 12), Decimal("-1000.00")),
        (dt.date(2015, 6, 13), Decimal("2000.00")),
    ]
    assert any("no header" in w for w in parsed.warnings)


def test_continuation_rows_extend_the_description_and_trailers_are_skipped():
    text = (
        "Transaction date,Value date,Description,Withdrawals (SGD),Deposits (SGD)\n"
        "18/04/2018,18/04/2018,DEBIT PURCHASE,6.66,\n"
        ",,UBER EATS,,\n"
        "17/04/2018,17/04/2018,SALARY,,1000.00\n"
        "***END OF FILE***\n"
    )
    parsed = _read(text)
    assert [r.description for r in parsed.rows] == ["DEBIT PURCHASE UBER EATS", "SALARY"]
    assert parsed.currency == "SGD"
    assert any("skipped" in w for w in parsed.warnings)


def test_table_without_dates_or_amounts_is_unsupported():
    with pytest.raises(UnsupportedFormat):
        _read("name,colour\nbob,red\nalice,blue\n")


def test_map_header_prefers_the_booked_amount():
    columns = csvfmt.map_header(
        ["Booking Date", "Value Date", "Amount (EUR)", "Original Amount", "Exchange Rate"]
    )
    assert (columns.date, columns.amount, columns.header_currency) == (0, 2, "EUR")


@pytest.mark.parametrize(
    ("text", "day_first", "expected"),
    [
        ("2019.04.19.", True, (2019, 4, 19)),
        ("20240105", True, (2024, 1, 5)),
        ("12-Dec-2019", True, (2019, 12, 12)),
        ("23-Jan-15", True, (2015, 1, 23)),
        ("01/09/2017", True, (2017, 9, 1)),
        ("01/09/2017", False, (2017, 1, 9)),
        ("Jul 2", True, (None, 7, 2)),
        ("2021-02-03 13:12", True, (2021, 2, 3)),
    ],
)
def test_date_parts(text, day_first, expected):
    assert parse_date_parts(text, day_first=day_first) == expected


# -- corpus --------------------------------------------------------------------


def _expected_ofx(name: str) -> tuple[int, Decimal]:
    text = corpus_bytes(f"expected/csv2ofx__converted_{name}.ofx").decode("utf-8")
    amounts = [Decimal(a.strip()) for a in re.findall(r"<TRNAMT>([^<\r\n]+)", text)]
    return len(amounts), sum(amounts, Decimal(0))


@pytest.mark.corpus
@pytest.mark.parametrize(
    ("csv_name", "ofx_name"),
    [
        ("default", "default"),
        ("gls", "gls"),
        ("ingesp", "ingesp"),
        ("mint", "mint"),
        ("n26-fr", "n26"),
        ("outbank", "outbank"),
        ("payoneer", "payoneer"),
        ("schwab-checking", "schwab-checking"),
        *[(f"schwab-checking-baltest-case{i}", f"schwab-checking-baltest-case{i}") for i in range(1, 8)],
        ("stripe-all", "stripe-all"),
        ("stripe-default", "stripe-default"),
    ],
)
def test_csv2ofx_exports_match_the_expected_ofx(csv_name, ofx_name):
    parsed = read_statement(corpus_bytes(f"csv/csv2ofx__{csv_name}.csv"), f"{csv_name}.csv")
    count, total = _expected_ofx(ofx_name)
    assert len(parsed.rows) == count
    assert sum((r.amount for r in parsed.rows), Decimal(0)) == total


@pytest.mark.corpus
@pytest.mark.parametrize(
    ("csv_name", "reason"),
    [
        ("amazon", "needs csv2ofx's amazon mapping (order totals, card exclusion via AMAZON_EXCLUDE_CARDS)"),
    ],
)
def test_csv2ofx_exports_that_need_mapping_options(csv_name, reason):
    pytest.skip(f"csv2ofx__{csv_name}.csv {reason}; a generic reader cannot know that")


@pytest.mark.corpus
def test_pcmastercard_export_reads_as_expected_with_a_bank_profile():
    # Bare amounts are charges: csv2ofx's pcmastercard mapping option, written as a bank profile.
    from django_expense_ai.statements.formats.profiles import BankProfile

    profile = BankProfile(
        name="pc-mastercard", date="Date", amount="Amount", sign_rule="negated",
        counterparty="Merchant Name", date_format="month_first", match=("Card Used For Transaction",),
    )  # fmt: skip
    text = corpus_bytes("csv/csv2ofx__pcmastercard.csv").decode("utf-8")
    guessed = csvfmt.parse_csv_text(text)
    parsed = csvfmt.parse_csv_text(text, profile=profile)
    count, total = _expected_ofx("pcmastercard")
    assert len(parsed.rows) == count
    assert sum((r.amount for r in parsed.rows), Decimal(0)) == total
    assert sum((r.amount for r in guessed.rows), Decimal(0)) == -total  # what guessing gets


@pytest.mark.corpus
@pytest.mark.parametrize(
    ("name", "amounts", "first_date"),
    [
        ("actual__data-payee-memo.csv", ["-10.00", "-20.00", "-30.00", "-40.00"], dt.date(2019, 1, 23)),
        ("actual__data_euc-jp.csv", ["-30.00", "45.75", "120.00"], dt.date(2024, 3, 1)),
        ("actual__data_gb18030.csv", ["-35.00", "55.50", "95.75"], dt.date(2024, 5, 1)),
        ("actual__data_utf8.csv", ["42.50", "-15.75", "100.00"], dt.date(2024, 1, 1)),
        ("actual__windows-1252.csv", ["100.25", "-42.10"], dt.date(2025, 12, 4)),
        ("actual__windows-1252-euro.csv", ["100.25"], dt.date(2025, 12, 4)),
        ("actual__utf-8-bom.csv", ["100", "100"], dt.date(2025, 12, 4)),
        ("csv2ofx__capitalone.csv", ["-1000.00", "1000.00"], dt.date(2015, 12, 31)),
        ("csv2ofx__ubs-ch-fr_trimmed.csv", ["-10.00", "240.00", "-200.00"], dt.date(2019, 3, 31)),
        ("bank2ynab__20171001-20171106.csv", ["-59.99"], dt.date(2017, 10, 1)),
        ("bank2ynab__export_BE11123456789012_20180304_1422.csv", ["-3.40"], dt.date(2018, 2, 28)),
    ],
)
def test_corpus_values_from_the_manifest(name, amounts, first_date):
    parsed = read_statement(corpus_bytes(f"csv/{name}"), name)
    assert [r.amount for r in parsed.rows] == [Decimal(a) for a in amounts]
    assert parsed.rows[0].date == first_date


@pytest.mark.corpus
def test_corpus_text_decodes_correctly():
    payees = {
        "actual__windows-1252-euro.csv": "Café €Rémy",
        "actual__data_euc-jp.csv": "東京スーパー",
        "actual__data_gb18030.csv": "上海超市",
    }
    for name, payee in payees.items():
        parsed = read_statement(corpus_bytes(f"csv/{name}"), name)
        assert any(payee in r.description for r in parsed.rows), name


@pytest.mark.corpus
@pytest.mark.parametrize(
    ("name", "rows", "currency"),
    [
        ("bank2ynab__TransactionHistory_20180418043121.csv", 8, "SGD"),
        ("bank2ynab__test_BOI_TransactionExport.csv", 27, None),
        ("bank2ynab__test_headers.csv", 73, "EUR"),
        ("bank2ynab__test_row_format_CD_flag.csv", 73, None),
        ("bank2ynab__2019-03-02_11-50-46_bunq-statement.csv", 7, None),
        ("bank2ynab__W80844_EBH_201945.202122.csv", 2, "HUF"),
        ("bank2ynab__kta_ei.dat.csv", 11, None),
        ("csv2ofx__xero.csv", 13, None),
        ("csv2ofx__mint_headerless.csv", 4, None),
        ("csv2ofx__mint_extra.csv", 4, None),
    ],
)
def test_corpus_row_counts(name, rows, currency):
    parsed = read_statement(corpus_bytes(f"csv/{name}"), name)
    assert len(parsed.rows) == rows
    assert parsed.currency == currency


@pytest.mark.corpus
def test_cd_flag_and_signed_variants_agree():
    signed = read_statement(corpus_bytes("csv/bank2ynab__test_row_format_neg_inflow.csv"), "a.csv")
    flagged = read_statement(corpus_bytes("csv/bank2ynab__test_row_format_CD_flag.csv"), "b.csv")
    assert [r.date for r in signed.rows] == [r.date for r in flagged.rows]
    # Same bank data; where the flag file marks inflow the amount is positive there too.
    assert sum(1 for r in flagged.rows if r.amount > 0) >= 1
    assert all(abs(a.amount) == abs(b.amount) for a, b in zip(signed.rows, flagged.rows, strict=True))
