"""The two PDF engines (pypdf, PDFium) give the same rows, open the same files and are chosen by a setting."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from django.test import override_settings

from django_expense_ai.exceptions import (
    ConfigurationError,
    CorruptStatement,
    NoTextLayer,
    PasswordRequired,
    StatementError,
    WrongPassword,
)
from django_expense_ai.statements.formats import pdf, pdf_engines
from django_expense_ai.statements.reader import load_document, read_statement

from . import pdf_factory as factory
from .test_read_statement_corpus import NEED_PASSWORD

pytest.importorskip("pypdfium2", reason="the [pdfium] extra (pypdfium2) is part of the dev install")

ENGINES = ("pypdf", "pdfium")
CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
CORPUS_PDFS = sorted(CORPUS.glob("pdf*/*.pdf")) if CORPUS.exists() else []


def _outcome(data: bytes, engine: str, password: str | None = None):
    """What the table reader gets from ``data`` with ``engine``: rows, or the error's type."""
    try:
        document = pdf.open_pdf(data, password, engine=engine)
        try:
            pages = pdf.extract_pages(document)
        finally:
            document.close()
    except StatementError as err:
        return type(err).__name__
    parsed = pdf.parse_statement_text(pages)
    # pypdf splits some words of a row ("SPEE  DY") where PDFium keeps them whole: compare
    # descriptions without their spaces, everything else exactly.
    return [(r.date, r.amount, "".join(r.description.split()), r.currency) for r in parsed.rows]


def _same_with_both(data: bytes, password: str | None = None):
    pypdf_rows = _outcome(data, "pypdf", password)
    assert _outcome(data, "pdfium", password) == pypdf_rows
    return pypdf_rows


# -- conformance -----------------------------------------------------------------


@pytest.mark.corpus
@pytest.mark.parametrize("path", CORPUS_PDFS, ids=lambda p: p.name)
def test_every_corpus_pdf_reads_the_same_with_both_engines(path):
    _same_with_both(path.read_bytes())


@pytest.mark.corpus
def test_corpus_is_there_or_skipped_saying_why():
    if not CORPUS_PDFS:
        pytest.skip(f"statement corpus not available ({CORPUS} missing)")
    assert len(CORPUS_PDFS) >= 30


@pytest.mark.corpus
def test_monopoly_gives_its_52_rows_with_both_engines():
    # 53 lines in monopoly's own output; "LAST MONTH'S BALANCE" (-412.16) is the
    # opening balance, never a transaction: opening + rows = closing (-702.10).
    path = CORPUS / "pdf" / "monopoly__example_statement.pdf"
    if not path.exists():
        pytest.skip(f"statement corpus not available ({path} missing)")
    rows = _same_with_both(path.read_bytes())
    assert len(rows) == 52 and Decimal("-412.16") + sum(r[1] for r in rows) == Decimal("-702.10")


def test_monospaced_statements_keep_their_columns_with_both_engines():
    # PDFium keeps one of a row of typed spaces; the runs still keep their columns.
    lines = [
        "Date         Description                    Amount       Balance",
        "01/03/2024   Opening balance                            1,000.00",
        "02/03/2024   Supermarket                    -45.10        954.90",
        "05/03/2024   Salary                       2,000.00      2,954.90",
        "31/03/2024   Closing balance                            2,954.90",
    ]
    rows = _same_with_both(factory.monospace_pdf(*lines))
    assert [(r[0], r[1]) for r in rows] == [
        (dt.date(2024, 3, 2), Decimal("-45.10")), (dt.date(2024, 3, 5), Decimal("2000.00")),
    ]


@pytest.mark.corpus
@pytest.mark.parametrize(("name", "password", "other"), NEED_PASSWORD)
def test_encrypted_corpus_pdfs_open_alike_with_their_passwords(name, password, other):
    path = CORPUS / "pdf_encrypted" / name
    if not path.exists():
        pytest.skip(f"statement corpus not available ({path} missing)")
    data = path.read_bytes()
    for engine in ENGINES:
        assert pdf.needs_password(data, engine=engine) is True
        with pytest.raises(PasswordRequired):
            pdf.unlock_pdf(data, engine=engine)
        with pytest.raises(WrongPassword):
            pdf.unlock_pdf(data, "definitely-wrong", engine=engine)
        for good in filter(None, (password, other)):  # the user and the owner password
            unlocked = pdf.unlock_pdf(data, good, engine=engine)
            assert unlocked.encrypted and unlocked.password_needed and unlocked.reader.engine == engine
            unlocked.reader.close()
    _same_with_both(data, password)


LAYOUTS = [
    {"layout": "debit_credit"},
    {"layout": "signed", "date_style": "iso"},
    {"layout": "crdr", "date_style": "dmy"},
    {"layout": "parens", "date_style": "mdy", "currency": "USD"},
    {"layout": "card", "card": True, "currency": "GBP"},
]


@pytest.mark.parametrize("options", LAYOUTS, ids=lambda o: o["layout"])
def test_printed_statements_read_the_same_with_both_engines(options):
    printed = factory.make_rows(45, multiline_every=7)
    rows = _same_with_both(factory.build_statement(printed, **options))
    assert len(rows) == 45
    assert [r[1] for r in rows] == [r.amount for r in printed]


@pytest.mark.parametrize("algorithm", ["RC4-40", "RC4-128", "AES-128", "AES-256"])
def test_encrypted_printed_statements_read_the_same_with_both_engines(algorithm):
    data = factory.encrypt_pdf(factory.build_statement(factory.make_rows(12)), "pässw0rd", algorithm=algorithm)
    for engine in ENGINES:
        with pytest.raises(PasswordRequired):
            pdf.unlock_pdf(data, engine=engine)
        with pytest.raises(WrongPassword):
            pdf.unlock_pdf(data, "nope", engine=engine)
    assert len(_same_with_both(data, "pässw0rd")) == 12


def test_empty_user_password_opens_without_asking_with_both_engines():
    data = factory.encrypt_pdf(factory.build_statement(factory.make_rows(5)), "", owner_password="owner")
    for engine in ENGINES:
        assert pdf.needs_password(data, engine=engine) is False
        unlocked = pdf.unlock_pdf(data, "some stored password", engine=engine)
        assert unlocked.encrypted and not unlocked.password_needed
        unlocked.reader.close()
    assert len(_same_with_both(data)) == 5


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (factory.garbage_pdf(), CorruptStatement),
        (factory.truncated_pdf(factory.build_statement(factory.make_rows(5)), 0.3), StatementError),
        (factory.image_only_pdf(), NoTextLayer),
    ],
    ids=["garbage", "truncated", "scanned"],
)
def test_bad_pdfs_fail_alike(data, error):
    for engine in ENGINES:
        with pytest.raises(error):
            pdf.extract_pages(pdf.open_pdf(data, engine=engine))


def test_plain_text_mode_gives_the_words_with_both_engines():
    data = factory.text_pdf("Opening balance 100.00", "Thank you for banking with us")
    for engine in ENGINES:
        [page] = pdf.extract_pages(pdf.open_pdf(data, engine=engine), layout=False)
        assert "Thank you for banking with us" in " ".join(page.split())


# -- choosing an engine ----------------------------------------------------------


def test_auto_chooses_pdfium_when_it_is_installed_and_the_setting_wins(monkeypatch):
    assert pdf_engines.engine_name() == "pdfium"  # the default, "auto", with pypdfium2 installed
    # The reader takes the engine as a plain value; the service wrapper reads the setting.
    assert pdf.open_pdf(factory.text_pdf("x"), engine="pypdf").engine == "pypdf"
    assert pdf.open_pdf(factory.text_pdf("x"), engine="pdfium").engine == "pdfium"
    opened = []
    real_open = pdf_engines.open_document

    def spy(*args, **kwargs):
        document = real_open(*args, **kwargs)
        opened.append(document.engine)
        return document

    monkeypatch.setattr(pdf_engines, "open_document", spy)
    for choice in ("pypdf", "pdfium"):
        with override_settings(EXPENSE_AI={"PDF_ENGINE": choice}):
            assert load_document(factory.text_pdf("x"), "x.pdf").pages
            assert pdf.open_pdf(factory.text_pdf("x")).engine == "pdfium"  # settings do not reach the reader
    assert opened == ["pypdf", "pdfium", "pdfium", "pdfium"]
    monkeypatch.setattr(pdf_engines, "pdfium_available", lambda: False)
    assert pdf_engines.engine_name("auto") == "pypdf"
    with pytest.raises(ConfigurationError) as info:
        pdf_engines.engine_name("pdfium")
    assert "django-expense-ai[pdfium]" in str(info.value)


def test_an_unknown_engine_is_a_configuration_error():
    with override_settings(EXPENSE_AI={"PDF_ENGINE": "ghostscript"}):
        with pytest.raises(ConfigurationError) as info:
            read_statement(factory.text_pdf("x"), "s.pdf")
    assert "'ghostscript'" in str(info.value) and "'pdfium'" in str(info.value)


@pytest.mark.parametrize("engine", ENGINES)
def test_read_statement_uses_the_configured_engine(engine):
    printed = factory.make_rows(20)
    with override_settings(EXPENSE_AI={"PDF_ENGINE": engine}):
        parsed = read_statement(factory.build_statement(printed), "s.pdf")
    assert [(r.date, r.amount) for r in parsed.rows] == [(r.date, r.amount) for r in printed]
    assert all(isinstance(r.date, dt.date) for r in parsed.rows)


def test_pdfium_calls_are_serialised_across_threads():
    import threading

    data = factory.build_statement(factory.make_rows(30))
    results: list[object] = []

    def read() -> None:
        results.append(_outcome(data, "pdfium"))

    threads = [threading.Thread(target=read) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 4 and all(r == results[0] for r in results) and len(results[0]) == 30


@pytest.mark.django_db
@pytest.mark.parametrize("engine", ENGINES)
def test_import_reads_with_the_configured_engine_and_logs_which(user, engine):
    from django_expense_ai.statements import import_statement

    printed = factory.make_rows(15)
    data = factory.encrypt_pdf(factory.build_statement(printed), "pässw0rd", algorithm="AES-256")
    with override_settings(EXPENSE_AI={"PDF_ENGINE": engine}):
        uf = import_statement(user, data, filename="s.pdf", password="pässw0rd")
    assert uf.status == "completed", uf.error_message
    assert sorted(t.amount for t in uf.created_transactions) == sorted(r.amount for r in printed)
    log = uf.processing_logs.get(processing_stage="text_extraction")
    assert log.details["engine"] == engine and log.details["pages"] >= 1
    assert "pässw0rd" not in str(list(uf.processing_logs.values_list("details", flat=True)))
