"""OFX/QFX reading: built-in samples plus the corpus values quoted in MANIFEST.md."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from django_expense_ai.exceptions import CorruptStatement, UnreadableRow
from django_expense_ai.statements.formats import ofx
from django_expense_ai.statements.reader import read_statement

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"


def corpus_bytes(relative: str) -> bytes:
    path = CORPUS / relative
    if not path.exists():
        pytest.skip(f"statement corpus not available ({path} missing)")
    return path.read_bytes()


SGML_HEADER = (
    "OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\nSECURITY:NONE\nENCODING:USASCII\n"
    "CHARSET:1252\nCOMPRESSION:NONE\nOLDFILEUID:NONE\nNEWFILEUID:NONE\n\n"
)


def _stmttrn(fitid: str, posted: str, amount: str, name: str, memo: str = "") -> str:
    memo_tag = f"<MEMO>{memo}\n" if memo else ""
    return (
        f"<STMTTRN>\n<TRNTYPE>DEBIT\n<DTPOSTED>{posted}\n<TRNAMT>{amount}\n<FITID>{fitid}\n"
        f"<NAME>{name}\n{memo_tag}</STMTTRN>\n"
    )


def sgml_statement(*transactions: str, currency: str = "EUR", acct: str = "NL91ABNA0417164300") -> bytes:
    body = (
        "<OFX>\n<SIGNONMSGSRSV1>\n<SONRS>\n<STATUS>\n<CODE>0\n<SEVERITY>INFO\n</STATUS>\n"
        "<DTSERVER>20240201\n<LANGUAGE>ENG\n</SONRS>\n</SIGNONMSGSRSV1>\n<BANKMSGSRSV1>\n<STMTTRNRS>\n"
        "<TRNUID>1\n<STATUS>\n<CODE>0\n<SEVERITY>INFO\n</STATUS>\n<STMTRS>\n"
        f"<CURDEF>{currency}\n<BANKACCTFROM>\n<BANKID>ABNA\n<ACCTID>{acct}\n<ACCTTYPE>CHECKING\n</BANKACCTFROM>\n"
        "<BANKTRANLIST>\n<DTSTART>20240101\n<DTEND>20240131\n"
        + "".join(transactions)
        + "</BANKTRANLIST>\n<LEDGERBAL>\n<BALAMT>1234.50\n<DTASOF>20240131\n</LEDGERBAL>\n"
        "</STMTRS>\n</STMTTRNRS>\n</BANKMSGSRSV1>\n</OFX>\n"
    )
    return (SGML_HEADER + body).encode("cp1252")


def test_sgml_statement_reads_rows_balance_period_and_fitid():
    data = sgml_statement(
        _stmttrn("T1", "20240105120000[-5:EST]", "-12.50", "Café Müller", "Card 1234"),
        _stmttrn("T2", "20240131235959.000[-3:GMT]", "2500.00", "Salary"),
    )
    parsed = read_statement(data, "statement.qfx")
    assert parsed.format == "ofx" and parsed.parser == "ofx"
    assert [(r.date, r.amount, r.bank_id) for r in parsed.rows] == [
        (dt.date(2024, 1, 5), Decimal("-12.50"), "T1"),
        # The date as printed: the UTC conversion would move it to 1 February.
        (dt.date(2024, 1, 31), Decimal("2500.00"), "T2"),
    ]
    assert parsed.rows[0].description == "Café Müller — Card 1234"
    assert parsed.currency == "EUR" and {r.currency for r in parsed.rows} == {"EUR"}
    assert (parsed.period_start, parsed.period_end) == (dt.date(2024, 1, 1), dt.date(2024, 1, 31))
    assert parsed.closing_balance == Decimal("1234.50")
    assert parsed.account_hint == "****4300"
    assert "0417164300" not in repr(parsed)
    assert parsed.confidence == 1.0


def test_decimal_comma_and_extra_decimals():
    data = sgml_statement(
        _stmttrn("A", "20240102", "-200,00", "Check"),
        _stmttrn("B", "20240103", "-3.77000", "Fee"),
        _stmttrn("C", "20240104", "+115.8331", "Interest"),
    )
    parsed = ofx.parse_ofx(data)
    assert [r.amount for r in parsed.rows] == [Decimal("-200.00"), Decimal("-3.77"), Decimal("115.83")]
    assert any("rounded" in w for w in parsed.warnings)


def test_headerless_file_uses_the_tolerant_reader():
    data = sgml_statement(_stmttrn("A", "20240102", "-1.00", "X")).split(b"\n\n", 1)[1]
    parsed = read_statement(data, "x.ofx")
    assert [r.amount for r in parsed.rows] == [Decimal("-1.00")]
    assert any("tolerant" in w for w in parsed.warnings)


def test_transaction_without_a_date_is_skipped_with_a_warning():
    data = sgml_statement(_stmttrn("A", "", "-1.00", "X"), _stmttrn("B", "20240102", "-2.00", "Y"))
    parsed = ofx.parse_ofx(data)
    assert [r.bank_id for r in parsed.rows] == ["B"]
    assert any("skipped" in w for w in parsed.warnings)


def test_signon_failure_is_a_clear_error():
    data = (
        SGML_HEADER + "<OFX><SIGNONMSGSRSV1><SONRS><STATUS><CODE>15500<SEVERITY>ERROR"
        "<MESSAGE>Invalid password</STATUS><DTSERVER>20240101<LANGUAGE>ENG</SONRS></SIGNONMSGSRSV1></OFX>"
    ).encode()
    with pytest.raises(CorruptStatement) as info:
        read_statement(data, "x.ofx")
    assert "15500" in str(info.value)


# -- corpus --------------------------------------------------------------------


@pytest.mark.corpus
@pytest.mark.parametrize(
    ("path", "count", "total", "currency", "account"),
    [
        ("ofx/actual__data-multi-decimal.ofx", 2, "-33.77", "USD", "****9123"),
        ("ofx/actual__data-payee-memo.ofx", 4, "-100.00", "USD", "****9123"),
        ("ofx/actual__tracking-number.ofx", 2, "-33.77", "USD", ""),
        ("ofx/beangulp__2013-12-03.bofa.ofx", 27, "-989.26", "USD", "****1222"),
        ("ofx/beangulp__file_type_example.ofx", 17, "-577.32", "USD", "****4967"),
        ("ofx/csv2ofx__transaction_example.ofx", 1, "-80.00", "USD", "****56"),
        ("ofx/ofxparse__anzcc.ofx", 1, "-5.50", "AUD", "****1234"),
        ("ofx/ofxparse__bank_medium.ofx", 3, "-345.27", "CAD", "****5678"),
        ("ofx/ofxparse__checking.ofx", 3, "-59.50", "USD", "****6877"),
        ("ofx/ofxparse__suncorp.ofx", 1, "-16.85", "AUD", "****6789"),
        ("ofx/ofxtools__br_nubank_cc.ofx", 6, "-1280.91", "BRL", "****1111"),
        ("ofx/ofxtools__stmtrs.ofx", 2, "-500.00", "USD", "****88"),
        ("ofx/ofxtools__stmtrs_euro.ofx", 2, "-500.00", "USD", "****88"),
        ("qfx/actual__1252.qfx", 1, "-20.00", "CAD", "****6EOP"),
        ("qfx/actual__8859-1.qfx", 1, "-20.00", "CAD", "****6EOP"),
        ("qfx/actual__html-vals.qfx", 2, "-2.00", "CAD", "****0000"),
        ("qfx/actual__utf-8.qfx", 1, "-20.00", "CAD", "****6EOP"),
        ("expected/csv2ofx__converted_schwab-checking-msmoney.ofx", 4, "-215.27", "USD", "****45"),
    ],
)
def test_corpus_statements(path, count, total, currency, account):
    parsed = read_statement(corpus_bytes(path), Path(path).name)
    assert len(parsed.rows) == count
    assert sum((r.amount for r in parsed.rows), Decimal(0)) == Decimal(total)
    assert parsed.currency == currency
    assert parsed.account_hint == account
    assert all(r.bank_id or path.endswith("empty-tags.ofx") for r in parsed.rows)


@pytest.mark.corpus
def test_multi_decimal_amounts_become_cents():
    parsed = read_statement(corpus_bytes("ofx/actual__data-multi-decimal.ofx"), "x.ofx")
    assert [r.amount for r in parsed.rows] == [Decimal("-30.00"), Decimal("-3.77")]


@pytest.mark.corpus
def test_euro_decimal_comma_amounts():
    parsed = read_statement(corpus_bytes("ofx/ofxtools__stmtrs_euro.ofx"), "x.ofx")
    assert [r.amount for r in parsed.rows] == [Decimal("-200.00"), Decimal("-300.00")]
    assert parsed.closing_balance == Decimal("200.29")


@pytest.mark.corpus
@pytest.mark.parametrize("name", ["actual__1252.qfx", "actual__utf-8.qfx"])
def test_qfx_charsets(name):
    row = read_statement(corpus_bytes(f"qfx/{name}"), name).rows[0]
    assert row.date == dt.date(2022, 10, 19)
    assert row.description == "Café Métro €uro — Paiement 5€ — débit"


@pytest.mark.corpus
def test_latin1_qfx_rejected_by_ofxtools_is_read():
    parsed = read_statement(corpus_bytes("qfx/actual__8859-1.qfx"), "x.qfx")
    assert parsed.rows[0].description.startswith("Paiement facture/Carte prépayée")
    assert any("tolerant" in w for w in parsed.warnings)


@pytest.mark.corpus
def test_html_entities_are_unescaped():
    rows = read_statement(corpus_bytes("qfx/actual__html-vals.qfx"), "x.qfx").rows
    assert rows[0].description.endswith("B.C. HYDRO & POWER AUTHORITY;Electronic Funds Transfer")
    assert rows[1].description.startswith("TPAY <DEFTPYMT>")


@pytest.mark.corpus
def test_bank_medium_values():
    parsed = read_statement(corpus_bytes("ofx/ofxparse__bank_medium.ofx"), "x.ofx")
    assert parsed.closing_balance == Decimal("382.34")
    assert parsed.period_start == dt.date(2009, 4, 1)
    assert parsed.rows[0].description.startswith("MCDONALD'S #112")
    assert parsed.rows[0].amount == Decimal("-6.60")


@pytest.mark.corpus
def test_fidelity_savings_investment_cash_rows():
    parsed = read_statement(corpus_bytes("ofx/ofxparse__fidelity-savings.ofx"), "x.ofx")
    assert len(parsed.rows) == 4
    assert parsed.rows[0].amount == Decimal("-1500.00")
    assert parsed.rows[0].date == dt.date(2012, 7, 20)
    assert parsed.rows[1].amount == Decimal("115.83")  # 115.8331 quantised to cents
    assert any("Investment" in w for w in parsed.warnings)


@pytest.mark.corpus
def test_multiple_accounts_without_transactions_are_an_error_not_an_empty_read():
    # Both statements of the file list no transaction: "0 rows" would be a silent empty.
    with pytest.raises(CorruptStatement) as info:
        read_statement(corpus_bytes("ofx/ofxparse__multiple_accounts.ofx"), "x.ofx")
    assert "2 statements" in str(info.value) and not isinstance(info.value, UnreadableRow)


@pytest.mark.corpus
@pytest.mark.parametrize(
    ("name", "rows", "skipped"),
    [
        ("ofxparse__fail_nice_empty_balance.ofx", 1, 0),
        ("ofxparse__ofx-v102-empty-tags.ofx", 1, 0),
    ],
)
def test_lenient_reading_of_broken_files(name, rows, skipped):
    parsed = read_statement(corpus_bytes(f"ofx/{name}"), name)
    assert len(parsed.rows) == rows
    assert any(f"{skipped} transaction" in w for w in parsed.warnings) == bool(skipped)


@pytest.mark.corpus
@pytest.mark.parametrize(
    ("name", "field"),
    [("ofxparse__fail_nice_date_missing.ofx", "DTPOSTED"), ("ofxparse__fail_nice_decimal_error.ofx", "DTPOSTED")],
)
def test_files_whose_every_transaction_is_unreadable_name_the_first_one(name, field):
    with pytest.raises(UnreadableRow) as info:
        read_statement(corpus_bytes(f"ofx/{name}"), name)
    assert info.value.row == 1 and info.value.field == field
    assert "transaction 1" in str(info.value)


@pytest.mark.corpus
@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("ofxparse__signon_fail.ofx", "15500"),
        ("ofxparse__signon_success.ofx", "sign-on"),
        ("ofxparse__signon_success_no_message.ofx", "sign-on"),
        ("ofxparse__error_message.ofx", "2000"),
        ("ofxparse__bank_small.ofx", "empty"),
        ("ofxparse__account_listing_aggregation.ofx", "account list"),
        ("ofxtools__profrs.ofx", "15500"),
        ("csv2ofx__transfer_example.ofx", "transfer"),
    ],
)
def test_files_without_a_statement_raise_a_clear_error(name, words):
    with pytest.raises(CorruptStatement) as info:
        read_statement(corpus_bytes(f"ofx/{name}"), name)
    assert words in str(info.value)
