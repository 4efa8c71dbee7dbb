"""PDF reading on PDFs built by fpdf2 and encrypted by pypdf (tests/pdf_factory.py)."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from django.test import override_settings

from django_expense_ai import hookimpl, plugins
from django_expense_ai.exceptions import (
    CorruptStatement,
    NoTextLayer,
    PasswordRequired,
    StatementTooLarge,
    UnsupportedFormat,
    WrongPassword,
)
from django_expense_ai.statements import parsers
from django_expense_ai.statements.formats import detect, parse_date, pdf
from django_expense_ai.statements.parsers import StatementParser
from django_expense_ai.statements.reader import load_document, parse_document, read_statement
from django_expense_ai.statements.types import ParsedStatement, StatementDocument

from . import pdf_factory as factory

SECRET = "s3cr3t-Pässword"


def _read(data: bytes, **kwargs) -> ParsedStatement:
    return read_statement(data, "statement.pdf", **kwargs)


def _pairs(rows) -> list[tuple[dt.date, Decimal]]:
    return [(row.date, row.amount) for row in rows]


# -- table layouts -------------------------------------------------------------


@pytest.mark.parametrize("layout", ["debit_credit", "signed", "crdr", "parens"])
@pytest.mark.parametrize(
    ("date_style", "currency"),
    [("dmy", "EUR"), ("mdy", "USD"), ("d_mon_y", "GBP"), ("mon_d", "USD"), ("iso", "EUR"), ("dm", "EUR")],
)
def test_layouts_and_date_styles_read_back_exactly(layout, date_style, currency):
    rows = factory.make_rows(40, start=dt.date(2024, 3, 10))
    parsed = _read(factory.build_statement(rows, layout=layout, date_style=date_style, currency=currency))
    assert _pairs(parsed.rows) == _pairs(rows)
    assert [r.description for r in parsed.rows] == [r.description for r in rows]
    assert [r.balance for r in parsed.rows] == [r.balance for r in rows]
    assert parsed.currency == currency
    assert parsed.opening_balance == Decimal("1000.00")
    assert parsed.closing_balance == rows[-1].balance
    assert parsed.account_hint == "****5678"
    assert "12345678" not in parsed.account_hint
    assert parsed.period_start == rows[0].date and parsed.period_end == rows[-1].date
    assert parsed.format == "pdf" and parsed.parser == "pdf-table"
    assert 0.5 < parsed.confidence <= 1.0


def test_card_statement_charges_are_negative_and_credits_positive():
    rows = factory.make_rows(15)
    parsed = _read(factory.build_statement(rows, layout="card", card=True))
    assert _pairs(parsed.rows) == _pairs(rows)
    assert any(r.amount > 0 for r in parsed.rows) and any(r.amount < 0 for r in parsed.rows)


@pytest.mark.parametrize("date_style", ["dm", "mon_d"])
def test_year_comes_from_the_period_across_december_january(date_style):
    rows = factory.make_rows(30, start=dt.date(2023, 12, 26))
    assert rows[0].date.year == 2023 and rows[-1].date.year == 2024
    parsed = _read(factory.build_statement(rows, date_style=date_style, currency="USD"))
    assert [r.date for r in parsed.rows] == [r.date for r in rows]


def test_day_first_is_inferred_when_a_day_exceeds_twelve_even_for_usd():
    rows = factory.make_rows(40, start=dt.date(2024, 5, 1))  # reaches 14/05 → must be day-first
    parsed = _read(factory.build_statement(rows, date_style="dmy", currency="USD"))
    assert [r.date for r in parsed.rows] == [r.date for r in rows]


def test_continuation_lines_are_appended_to_the_description():
    rows = factory.make_rows(12, multiline_every=3)
    parsed = _read(factory.build_statement(rows))
    assert len(parsed.rows) == 12
    for got, printed in zip(parsed.rows, rows, strict=True):
        expected = f"{printed.description} {printed.extra_line}".strip()
        assert got.description == expected


def test_many_pages_keep_every_row():
    rows = factory.make_rows(400, multiline_every=9)
    data = factory.build_statement(rows)
    pages = pdf.extract_pages(pdf.open_pdf(data))
    assert len(pages) >= 8
    parsed = _read(data)
    assert _pairs(parsed.rows) == _pairs(rows)
    assert sum(r.amount for r in parsed.rows) == rows[-1].balance - Decimal("1000.00")


def test_text_without_a_table_gives_no_rows_and_says_so():
    parsed = _read(factory.text_pdf("Dear customer,", "Your new card is on its way."))
    assert parsed.rows == ()
    assert parsed.confidence == 0.0
    assert any("No transaction rows" in w for w in parsed.warnings)


# -- encryption ----------------------------------------------------------------


@pytest.fixture(scope="module")
def plain_statement() -> tuple[bytes, list[factory.FixtureRow]]:
    rows = factory.make_rows(10)
    return factory.build_statement(rows), rows


@pytest.mark.parametrize("algorithm", factory.ALGORITHMS)
def test_encrypted_statement_opens_with_the_right_password(plain_statement, algorithm):
    data, rows = plain_statement
    locked = factory.encrypt_pdf(data, SECRET, algorithm=algorithm, owner_password="owner-" + SECRET)
    assert pdf.needs_password(locked) is True
    parsed = _read(locked, password=SECRET)
    assert _pairs(parsed.rows) == _pairs(rows)
    assert parsed.encrypted is True
    assert parsed.password_needed is True
    assert SECRET not in repr(parsed) and SECRET not in "".join(parsed.warnings)


@pytest.mark.parametrize("algorithm", factory.ALGORITHMS)
def test_encrypted_statement_without_password_raises_password_required(plain_statement, algorithm):
    locked = factory.encrypt_pdf(plain_statement[0], SECRET, algorithm=algorithm)
    with pytest.raises(PasswordRequired) as info:
        _read(locked)
    assert not isinstance(info.value, WrongPassword)
    assert info.value.stage == "password_decrypt"


@pytest.mark.parametrize("algorithm", factory.ALGORITHMS)
def test_wrong_password_raises_wrong_password_without_echoing_it(plain_statement, algorithm):
    locked = factory.encrypt_pdf(plain_statement[0], SECRET, algorithm=algorithm)
    with pytest.raises(WrongPassword) as info:
        pdf.open_pdf(locked, "not-the-" + SECRET)
    assert SECRET not in str(info.value)
    assert "not-the-" not in str(info.value)


def test_empty_user_password_opens_without_asking(plain_statement):
    data, rows = plain_statement
    locked = factory.encrypt_pdf(data, "", algorithm="AES-256", owner_password="owner-only")
    assert pdf.needs_password(locked) is False
    parsed = _read(locked)
    assert _pairs(parsed.rows) == _pairs(rows)
    assert parsed.encrypted is True and parsed.password_needed is False
    # A stored password that does not fit is harmless when none is needed.
    assert _read(locked, password="something-else").password_needed is False


def test_password_for_an_unencrypted_pdf_is_ignored(plain_statement):
    data, rows = plain_statement
    assert pdf.needs_password(data) is False
    parsed = _read(data, password=SECRET)
    assert _pairs(parsed.rows) == _pairs(rows)
    assert parsed.encrypted is False and parsed.password_needed is False


def test_unlock_pdf_reports_how_it_opened(plain_statement):
    locked = factory.encrypt_pdf(plain_statement[0], SECRET, algorithm="RC4-128")
    unlocked = pdf.unlock_pdf(locked, SECRET)
    assert (unlocked.encrypted, unlocked.password_needed) == (True, True)
    assert SECRET not in repr(unlocked)


# -- broken and hostile input --------------------------------------------------


def test_truncated_pdf_is_corrupt(plain_statement):
    with pytest.raises(CorruptStatement):
        _read(factory.truncated_pdf(plain_statement[0]))


@pytest.mark.parametrize("seed", range(8))
def test_random_bytes_behind_a_pdf_header_are_corrupt(seed):
    data = factory.garbage_pdf(seed=seed)
    assert detect.detect_format(data, "x.pdf") == "pdf"
    with pytest.raises(CorruptStatement):
        _read(data)


@pytest.mark.parametrize("cut", [0.1, 0.5, 0.9, 0.99])
def test_encrypted_and_truncated_is_a_statement_error_not_a_crash(plain_statement, cut):
    locked = factory.encrypt_pdf(plain_statement[0], SECRET, algorithm="AES-256")
    with pytest.raises((CorruptStatement, PasswordRequired)):
        _read(factory.truncated_pdf(locked, cut), password=SECRET)


def test_renamed_executable_is_unsupported():
    with pytest.raises(UnsupportedFormat) as info:
        read_statement(factory.ELF_BYTES, "statement.pdf")
    assert "executable" in str(info.value)


@pytest.mark.parametrize(
    ("data", "word"),
    [
        (b"PK\x03\x04" + b"\x00" * 40, "ZIP"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "PNG"),
        (b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 40, "Windows"),
        (b"<html><body>Login</body></html>", "HTML"),
        (b"Dear customer, this is just a letter without columns.", "plain text"),
    ],
)
def test_content_decides_not_the_name(data, word):
    with pytest.raises(UnsupportedFormat) as info:
        detect.detect_format(data, "statement.pdf")
    assert word in str(info.value)


def test_empty_file_is_corrupt():
    with pytest.raises(CorruptStatement):
        detect.detect_format(b"", "statement.pdf")


def test_detect_by_content():
    assert detect.detect_format(factory.text_pdf("x"), "renamed.csv") == "pdf"
    assert detect.detect_format(b"Date,Amount\n2024-01-01,5.00\n", "statement.pdf") == "csv"
    assert detect.detect_format(b"OFXHEADER:100\nDATA:OFXSGML\n\n<OFX>", "x.txt") == "ofx"


def test_oversized_upload_is_refused(plain_statement):
    data = plain_statement[0]
    with override_settings(EXPENSE_AI={"MAX_UPLOAD_BYTES": len(data) - 1}):
        with pytest.raises(StatementTooLarge):
            _read(data)
    with override_settings(EXPENSE_AI={"MAX_UPLOAD_BYTES": len(data)}):
        assert len(_read(data).rows) == 10


def test_page_limit():
    data = factory.text_pdf("page text", pages=3)
    with override_settings(EXPENSE_AI={"MAX_PDF_PAGES": 2}):
        with pytest.raises(StatementTooLarge):
            _read(data)
    handle = pdf.open_pdf(data)
    assert len(pdf.extract_pages(handle, max_pages=3)) == 3
    with pytest.raises(StatementTooLarge):
        pdf.extract_pages(handle, max_pages=2)


def test_time_limit_is_checked_between_pages(monkeypatch):
    handle = pdf.open_pdf(factory.text_pdf("page text", pages=4))
    clock = itertools.count(start=0.0, step=6.0)  # start, then +6 s before each page
    monkeypatch.setattr(pdf.time, "monotonic", lambda: next(clock))
    with pytest.raises(StatementTooLarge) as info:
        pdf.extract_pages(handle, max_pages=0, max_seconds=15)
    assert "page 3 of 4" in str(info.value)


def test_image_only_pdf_has_no_text_layer():
    with pytest.raises(NoTextLayer) as info:
        _read(factory.image_only_pdf())
    assert "scanned" in str(info.value)


def test_layout_failure_falls_back_to_plain_extraction(monkeypatch):
    class Page:
        def extract_text(self, extraction_mode="plain"):
            if extraction_mode == "layout":
                raise KeyError("/Font")
            return "01/02/2024 Coffee 3.50"

    class Handle:
        pages = [Page()]

    assert pdf.extract_pages(Handle(), max_pages=0, max_seconds=0) == ("01/02/2024 Coffee 3.50",)


# -- the parser registry -------------------------------------------------------


class _Claims(StatementParser):
    format = "pdf"

    def __init__(self, name: str, score: float):
        self.name, self.score = name, score

    def claim(self, document):
        return self.score

    def parse(self, document):
        return ParsedStatement(format="pdf", parser=self.name, rows=(), raw_text="")


class _Plugin:
    def __init__(self, *registered):
        self.registered = registered

    @hookimpl
    def register_statement_parsers(self, register):
        for parser in self.registered:
            register(parser)


@pytest.fixture
def extra_parsers():
    """Register a plugin for one test, then remove it (and the cached registry)."""
    added = []

    def add(*registered):
        plugin = _Plugin(*registered)
        plugins.get_plugin_manager().register(plugin)
        added.append(plugin)
        parsers.reset_parsers()

    yield add
    for plugin in added:
        plugins.get_plugin_manager().unregister(plugin)
    parsers.reset_parsers()


def test_builtin_parsers_are_registered():
    names = [p.name for p in parsers.get_parsers()]
    assert {"pdf-table", "csv", "ofx"} <= set(names)
    assert parsers.get_parser("ofx").format == "ofx"


def test_best_claim_wins(extra_parsers, plain_statement):
    extra_parsers(_Claims("bank-x", 0.95))
    parsed = read_statement(plain_statement[0], "s.pdf")
    assert parsed.parser == "bank-x"


def test_lower_claim_loses(extra_parsers, plain_statement):
    extra_parsers(_Claims("unsure", 0.1))
    assert read_statement(plain_statement[0], "s.pdf").parser == "pdf-table"


def test_tie_goes_to_registration_order(extra_parsers, plain_statement):
    extra_parsers(_Claims("first", 0.7), _Claims("second", 0.7))
    assert read_statement(plain_statement[0], "s.pdf").parser == "first"


def test_reset_forgets_the_cache(extra_parsers):
    before = parsers.get_parsers()
    assert parsers.get_parsers() is before
    plugins.reset()
    assert parsers.get_parsers() is not before


def test_no_claimant_names_what_was_tried():
    document = StatementDocument(data=b"x", filename="x.qif", format="qif", text="!Type:Bank")
    with pytest.raises(UnsupportedFormat) as info:
        parse_document(document)
    assert "pdf-table" in str(info.value) and "csv" in str(info.value)


def test_load_document_keeps_no_password(plain_statement):
    locked = factory.encrypt_pdf(plain_statement[0], SECRET, algorithm="AES-128")
    document = load_document(locked, "s.pdf", password=SECRET)
    assert document.encrypted and document.password_needed
    assert SECRET not in repr(document)
    assert all(SECRET not in str(getattr(document, f)) for f in ("filename", "format", "text", "encoding"))


def test_row_limit(plain_statement):
    with override_settings(EXPENSE_AI={"MAX_STATEMENT_ROWS": 5}):
        with pytest.raises(StatementTooLarge):
            _read(plain_statement[0])


@pytest.mark.parametrize(
    ("text", "reference", "expected"),
    [
        ("28/12", dt.date(2024, 1, 5), dt.date(2023, 12, 28)),  # statement dated after New Year
        ("03/01", dt.date(2023, 12, 20), dt.date(2024, 1, 3)),
        ("Dec 30", dt.date(2024, 1, 2), dt.date(2023, 12, 30)),
        ("15/06", dt.date(2024, 6, 30), dt.date(2024, 6, 15)),
    ],
)
def test_missing_year_is_the_one_closest_to_the_statement_date(text, reference, expected):
    assert parse_date(text, references=[reference]) == expected


def test_missing_year_without_reference_is_unresolved():
    assert parse_date("28/12") is None
