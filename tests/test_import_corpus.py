"""Every corpus file through the whole pipeline (../shared/corpus, never copied into the repo).

Expected counts and totals are those the reader tests check (MANIFEST.md and the
upstream expected outputs); here they must come out of the database, after
validation and de-duplication. Negative files must end ``failed`` with a reason.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.db.models import Sum

from django_expense_ai.models import Transaction
from django_expense_ai.statements import import_statement, reprocess

from .test_read_statement_corpus import NEED_PASSWORD, OPEN_WITHOUT_PASSWORD

pytestmark = [pytest.mark.corpus, pytest.mark.django_db]

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"


def corpus_path(relative: str) -> Path:
    path = CORPUS / relative
    if not path.exists():
        pytest.skip(f"statement corpus not available ({path} missing)")
    return path


def ledger_total(uf) -> Decimal:
    return Transaction.objects.filter(uploaded_file=uf).aggregate(s=Sum("amount"))["s"] or Decimal(0)


def _expected_ofx(name: str) -> tuple[int, Decimal]:
    text = corpus_path(f"expected/csv2ofx__converted_{name}.ofx").read_text(encoding="utf-8")
    amounts = [Decimal(a.strip()) for a in re.findall(r"<TRNAMT>([^<\r\n]+)", text)]
    return len(amounts), sum(amounts, Decimal(0))


# (file, count, total): totals from the upstream expected OFX or the MANIFEST.
OFX_FILES = [
    ("ofx/actual__data-multi-decimal.ofx", 2, "-33.77"),
    ("ofx/actual__data-payee-memo.ofx", 4, "-100.00"),
    ("ofx/actual__tracking-number.ofx", 2, "-33.77"),
    ("ofx/beangulp__2013-12-03.bofa.ofx", 27, "-989.26"),
    ("ofx/beangulp__file_type_example.ofx", 17, "-577.32"),
    ("ofx/csv2ofx__transaction_example.ofx", 1, "-80.00"),
    ("ofx/ofxparse__anzcc.ofx", 1, "-5.50"),
    ("ofx/ofxparse__bank_medium.ofx", 3, "-345.27"),
    ("ofx/ofxparse__checking.ofx", 3, "-59.50"),
    ("ofx/ofxparse__suncorp.ofx", 1, "-16.85"),
    ("ofx/ofxtools__br_nubank_cc.ofx", 6, "-1280.91"),
    ("ofx/ofxtools__stmtrs.ofx", 2, "-500.00"),
    ("ofx/ofxtools__stmtrs_euro.ofx", 2, "-500.00"),
    ("qfx/actual__1252.qfx", 1, "-20.00"),
    ("qfx/actual__8859-1.qfx", 1, "-20.00"),
    ("qfx/actual__html-vals.qfx", 2, "-2.00"),
    ("qfx/actual__utf-8.qfx", 1, "-20.00"),
    ("expected/csv2ofx__converted_schwab-checking-msmoney.ofx", 4, "-215.27"),
]


@pytest.mark.parametrize(("path", "count", "total"), OFX_FILES)
def test_ofx_imports_with_the_right_count_and_total(user, path, count, total):
    uf = import_statement(user, corpus_path(path))
    assert uf.status == "completed", uf.error_message
    assert len(uf.created_transactions) == count == uf.transactions.count()
    assert ledger_total(uf) == Decimal(total)
    assert all(t.bank_id for t in uf.transactions.all())


CSV2OFX = [
    ("default", "default"), ("gls", "gls"), ("ingesp", "ingesp"), ("mint", "mint"), ("n26-fr", "n26"),
    ("outbank", "outbank"), ("payoneer", "payoneer"), ("schwab-checking", "schwab-checking"),
    *[(f"schwab-checking-baltest-case{i}", f"schwab-checking-baltest-case{i}") for i in range(1, 8)],
    ("stripe-all", "stripe-all"), ("stripe-default", "stripe-default"),
]


@pytest.mark.parametrize(("csv_name", "ofx_name"), CSV2OFX)
def test_csv_exports_import_like_the_expected_ofx(user, csv_name, ofx_name):
    count, total = _expected_ofx(ofx_name)
    uf = import_statement(user, corpus_path(f"csv/csv2ofx__{csv_name}.csv"))
    assert uf.status == "completed", uf.error_message
    # Rows repeating each other inside one file are real repeats: all of them are created.
    assert uf.transactions.count() == count
    assert ledger_total(uf) == total


@pytest.mark.parametrize(
    ("name", "rows"),
    [
        ("bank2ynab__TransactionHistory_20180418043121.csv", 8),
        ("bank2ynab__test_BOI_TransactionExport.csv", 27),
        ("bank2ynab__test_headers.csv", 73),
        ("bank2ynab__test_row_format_CD_flag.csv", 73),
        ("bank2ynab__2019-03-02_11-50-46_bunq-statement.csv", 7),
        ("bank2ynab__W80844_EBH_201945.202122.csv", 2),
        ("bank2ynab__kta_ei.dat.csv", 11),
        ("csv2ofx__xero.csv", 13),
        ("csv2ofx__mint_headerless.csv", 4),
        ("csv2ofx__mint_extra.csv", 4),
        ("actual__data-payee-memo.csv", 4),
        ("actual__data_euc-jp.csv", 3),
        ("actual__windows-1252.csv", 2),
        ("actual__utf-8-bom.csv", 2),
        ("csv2ofx__capitalone.csv", 2),
        ("csv2ofx__ubs-ch-fr_trimmed.csv", 3),
    ],
)
def test_csv_row_counts(user, name, rows):
    uf = import_statement(user, corpus_path(f"csv/{name}"))
    assert uf.status == "completed", uf.error_message
    assert uf.transactions.count() == rows == uf.rows_found


def test_monopoly_pdf_statement(user):
    uf = import_statement(user, corpus_path("pdf/monopoly__example_statement.pdf"))
    assert uf.status == "completed", uf.error_message
    # 53 lines in monopoly's output, one of them the previous balance: a balance, not a transaction.
    assert uf.transactions.count() == 52
    assert ledger_total(uf) == Decimal("-702.10") - Decimal("-412.16")  # closing - opening
    assert set(uf.transactions.values_list("currency", flat=True)) == {"SGD"}
    validation = uf.processing_logs.get(processing_stage="validation")
    assert validation.details["balance_check"]["ok"] is True


def test_monopoly_pdf_encrypted_by_us_imports_the_same(user):
    from .pdf_factory import encrypt_pdf

    locked = encrypt_pdf(corpus_path("pdf/monopoly__example_statement.pdf").read_bytes(), "dob-01011990")
    failed = import_statement(user, locked, filename="s.pdf")
    assert failed.status == "failed" and failed.error_stage == "password_decrypt"
    uf = reprocess(failed, password="dob-01011990")
    assert uf.status == "completed" and uf.transactions.count() == 52
    assert ledger_total(uf) == Decimal("-702.10") - Decimal("-412.16")


@pytest.mark.parametrize(("name", "password", "other"), NEED_PASSWORD)
def test_encrypted_corpus_pdfs(user, name, password, other):
    path = corpus_path(f"pdf_encrypted/{name}")
    missing = import_statement(user, path)
    assert missing.status == "failed" and missing.error_stage == "password_decrypt"
    wrong = import_statement(user, path, password="definitely-wrong")
    assert wrong.status == "failed" and wrong.error_stage == "password_decrypt"
    assert "definitely-wrong" not in wrong.error_message
    right = import_statement(user, path, password=password)
    assert right.processing_logs.get(processing_stage="password_decrypt").status == "success"
    right.refresh_from_db()
    assert right.is_password_protected is True
    # These are test documents, not statements: they then fail with a reason, never silently.
    assert right.status == "failed" and right.error_stage in ("text_extraction", "parse_attempt")
    assert right.error_message
    assert not Transaction.objects.exists()


@pytest.mark.parametrize("name", OPEN_WITHOUT_PASSWORD)
def test_pdfs_with_an_empty_user_password_open_without_asking(user, name):
    uf = import_statement(user, corpus_path(f"pdf_encrypted/{name}"))
    assert uf.processing_logs.get(processing_stage="password_decrypt").status == "success"
    uf.refresh_from_db()
    assert uf.is_password_protected is False
    assert "asdfzxcv" in uf.raw_text_extracted
    assert uf.status == "failed" and uf.error_stage == "parse_attempt"


NEGATIVE = [
    ("pdf/beangulp__acmebank1.pdf", "parse_attempt"),
    ("pdf/beangulp__Downloads_Statement.pdf", "parse_attempt"),
    ("pdf/pypdf__crazyones.pdf", "parse_attempt"),
    ("pdf/monopoly__4_pages_blank.pdf", "text_extraction"),
    ("ofx/ofxparse__signon_fail.ofx", "parse_attempt"),
    ("ofx/ofxparse__error_message.ofx", "parse_attempt"),
    ("ofx/ofxtools__profrs.ofx", "parse_attempt"),
    ("csv/csv2ofx__amazon.csv", "parse_attempt"),
    ("csv/bank2ynab__TH_20180101-20180523_strana_1.csv", "validation"),  # dummy dates (1111-11-11)
]


@pytest.mark.parametrize(("path", "stage"), NEGATIVE)
def test_negative_files_fail_with_a_reason(user, path, stage):
    uf = import_statement(user, corpus_path(path))
    assert uf.status == "failed" and uf.error_stage == stage
    assert len(uf.error_message) > 20 and "unexpected" not in uf.error_message
    completion = uf.processing_logs.get(processing_stage="completion")
    assert completion.status == "failed" and completion.details["error_stage"] == stage
    assert not Transaction.objects.exists()


@pytest.mark.parametrize(
    "path",
    sorted(str(p.relative_to(CORPUS)) for sub in ("csv", "ofx", "qfx", "pdf") for p in (CORPUS / sub).glob("*")
           if p.is_file())
    if CORPUS.exists()
    else ["corpus-missing"],
)
def test_every_file_completes_or_fails_clearly_and_never_imports_twice(user, path):
    uf = import_statement(user, corpus_path(path))
    assert uf.status in ("completed", "failed")
    assert [log.processing_stage for log in uf.processing_logs.order_by("pk")][-1] == "completion"
    if uf.status == "failed":
        assert uf.error_stage and uf.error_message and "unexpected" not in uf.error_message
        assert not Transaction.objects.exists()
        return
    assert len(uf.created_transactions) + len(uf.skipped_duplicates) == uf.rows_found
    count = Transaction.objects.count()
    # The same file again: recognised at once; its rows again (reprocess): all duplicates.
    twice = import_statement(user, corpus_path(path), filename="again-" + Path(path).name)
    assert twice.duplicate_of_id == uf.pk and twice.created_transactions == []
    again = reprocess(uf)
    assert again.status == "completed" and again.created_transactions == []
    assert len(again.skipped_duplicates) == uf.rows_found
    assert Transaction.objects.count() == count
