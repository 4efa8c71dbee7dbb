"""read_statement on real statement files from ../shared/corpus (never copied into the repo)."""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from django_expense_ai.exceptions import (
    CorruptStatement,
    NoTextLayer,
    PasswordRequired,
    StatementError,
    WrongPassword,
)
from django_expense_ai.statements.formats import pdf
from django_expense_ai.statements.reader import read_statement

pytestmark = pytest.mark.corpus

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"


def corpus_bytes(relative: str) -> bytes:
    path = CORPUS / relative
    if not path.exists():
        pytest.skip(f"statement corpus not available ({path} missing)")
    return path.read_bytes()


def _squash(text: str) -> str:
    # pypdf's layout mode splits some words ("SPEE  DY"); compare without spaces.
    return "".join(text.split())


def test_monopoly_example_statement_matches_expected_csv():
    parsed = read_statement(corpus_bytes("pdf/monopoly__example_statement.pdf"), "example_statement.pdf")
    expected_path = CORPUS / "expected" / "monopoly__example_statement.transformed.csv"
    with expected_path.open(encoding="utf-8", newline="") as handle:
        expected = list(csv.DictReader(handle))
    # monopoly lists the previous balance as its first row; here it is the opening balance,
    # never a transaction (issue 18), so it is compared as such and the other 52 row by row.
    balance_lines = [e for e in expected if "BALANCE" in e["description"].upper()]
    assert [e["description"] for e in balance_lines] == ["LAST MONTH'S BALANCE"]
    assert parsed.opening_balance == Decimal(balance_lines[0]["amount"])
    expected = [e for e in expected if e not in balance_lines]
    assert len(parsed.rows) == 52 == len(expected)
    # The rows now add up: opening + rows == closing.
    assert parsed.opening_balance + sum(r.amount for r in parsed.rows) == parsed.closing_balance
    assert [r.date for r in parsed.rows] == [dt.date.fromisoformat(e["date"]) for e in expected]
    assert [r.amount for r in parsed.rows] == [Decimal(e["amount"]) for e in expected]
    assert [_squash(r.description) for r in parsed.rows] == [_squash(e["description"]) for e in expected]
    assert parsed.currency == "SGD"
    assert all(r.currency == "SGD" for r in parsed.rows)
    assert parsed.account_hint == "****9473"
    assert parsed.opening_balance == Decimal("-412.16")
    assert parsed.closing_balance == Decimal("-702.10")
    assert parsed.encrypted is False and parsed.password_needed is False


def test_monopoly_statement_encrypted_by_us_reads_the_same():
    from .pdf_factory import encrypt_pdf

    plain = corpus_bytes("pdf/monopoly__example_statement.pdf")
    locked = encrypt_pdf(plain, "dob-01011990", algorithm="AES-256")
    with pytest.raises(PasswordRequired):
        read_statement(locked, "s.pdf")
    parsed = read_statement(locked, "s.pdf", password="dob-01011990")
    assert len(parsed.rows) == 52 and parsed.password_needed is True
    assert sum(r.amount for r in parsed.rows) == Decimal("-702.10") - Decimal("-412.16")


@pytest.mark.parametrize("name", ["beangulp__acmebank1.pdf", "beangulp__Downloads_Statement.pdf"])
def test_toy_statements_without_a_table_give_no_rows_and_a_warning(name):
    parsed = read_statement(corpus_bytes(f"pdf/{name}"), name)
    assert parsed.rows == ()
    assert parsed.confidence == 0.0
    assert any("No transaction rows" in w for w in parsed.warnings)


@pytest.mark.parametrize("name", ["beangulp__file_type_example.pdf", "pypdf__crazyones.pdf"])
def test_non_statement_pdfs_give_no_rows(name):
    assert read_statement(corpus_bytes(f"pdf/{name}"), name).rows == ()


def test_blank_scanned_pdf_has_no_text_layer():
    with pytest.raises(NoTextLayer):
        read_statement(corpus_bytes("pdf/monopoly__4_pages_blank.pdf"), "blank.pdf")


# (file, user password, other password that also opens it or None)
NEED_PASSWORD = [
    ("monopoly__protected_2023-09.pdf", "foobar123", None),
    ("pdfminer__aes-128-m.pdf", "baz", "foo"),
    ("pdfminer__aes-128.pdf", "baz", "foo"),
    ("pdfminer__aes-256-m.pdf", "baz", "foo"),
    ("pdfminer__aes-256-r6.pdf", "usersecret", "ownersecret"),
    ("pdfminer__aes-256.pdf", "baz", "foo"),
    ("pdfminer__rc4-128.pdf", "baz", "foo"),
    ("pdfminer__rc4-40.pdf", "baz", "foo"),
    ("pypdf__crazyones-encrypted-256.pdf", "password", None),
    ("pypdf__encrypted-file.pdf", "test", None),
    ("pypdf__encryption_r2-user-password.pdf", "asdfzxcv", None),
    ("pypdf__encryption_r3-user-password.pdf", "asdfzxcv", None),
    ("pypdf__encryption_r4-aes-user-password.pdf", "asdfzxcv", None),
    ("pypdf__encryption_r4-user-password.pdf", "asdfzxcv", None),
    ("pypdf__encryption_r6-both-passwords.pdf", "foo", "bar"),
    ("pypdf__libreoffice-writer-password.pdf", "openpassword", None),
]

OPEN_WITHOUT_PASSWORD = [
    "pypdf__encryption_r2-empty-password.pdf",
    "pypdf__encryption_r2-owner-password.pdf",
    "pypdf__encryption_r3-empty-password.pdf",
    "pypdf__encryption_r4-aes-v2-no-key-length.pdf",
    "pypdf__encryption_r4-owner-password.pdf",
    "pypdf__encryption_r5-empty-password.pdf",
    "pypdf__encryption_r5-owner-password.pdf",
    "pypdf__encryption_r6-empty-password.pdf",
    "pypdf__encryption_r6-owner-password.pdf",
    # Encrypted with an empty *owner* password: '' opens them, as the manifest notes.
    "pypdf__encryption_r5-user-password.pdf",
    "pypdf__encryption_r6-user-password.pdf",
]


@pytest.mark.parametrize(("name", "password", "other"), NEED_PASSWORD)
def test_encrypted_corpus_pdf_needs_its_password(name, password, other):
    data = corpus_bytes(f"pdf_encrypted/{name}")
    assert pdf.needs_password(data) is True
    with pytest.raises(PasswordRequired) as missing:
        read_statement(data, name)
    assert not isinstance(missing.value, WrongPassword)
    with pytest.raises(WrongPassword) as wrong:
        read_statement(data, name, password="definitely-wrong")
    assert "definitely-wrong" not in str(wrong.value)
    for good in filter(None, (password, other)):
        unlocked = pdf.unlock_pdf(data, good)
        assert unlocked.encrypted and unlocked.password_needed
        assert pdf.extract_pages(unlocked.reader)  # text comes out


@pytest.mark.parametrize("name", OPEN_WITHOUT_PASSWORD)
def test_encrypted_corpus_pdf_with_empty_password_opens_without_asking(name):
    data = corpus_bytes(f"pdf_encrypted/{name}")
    assert pdf.needs_password(data) is False
    parsed = read_statement(data, name)
    assert parsed.encrypted is True and parsed.password_needed is False
    assert "asdfzxcv" in parsed.raw_text  # the test document's text


def test_protected_monopoly_pdf_opens_but_has_no_text():
    data = corpus_bytes("pdf_encrypted/monopoly__protected.pdf")
    with pytest.raises(PasswordRequired):
        read_statement(data, "protected.pdf")
    with pytest.raises(WrongPassword):
        read_statement(data, "protected.pdf", password="wrongpw_123")
    with pytest.raises(NoTextLayer):
        read_statement(data, "protected.pdf", password="foobar123")


def test_encrypted_doc_without_id_opens_and_is_image_only():
    with pytest.raises(NoTextLayer):
        read_statement(corpus_bytes("pdf_encrypted/pypdf__encrypted_doc_no_id.pdf"), "x.pdf")


def test_crazyones_decrypted_text_matches_reference():
    data = corpus_bytes("pdf_encrypted/pypdf__crazyones-encrypted-256.pdf")
    expected = (CORPUS / "expected" / "pypdf__crazyones.txt").read_text(encoding="utf-8")
    # The reference is pypdf's plain text (ligatures and all), so pypdf reads it here.
    pages = pdf.extract_pages(pdf.open_pdf(data, "password", engine="pypdf"), layout=False)
    assert " ".join("".join(pages).split()) == " ".join(expected.split())


def test_password_given_for_unencrypted_control_is_harmless():
    parsed = read_statement(corpus_bytes("pdf/pdfminer__encryption_base.pdf"), "base.pdf", password="foo")
    assert "Secret!" in parsed.raw_text and parsed.encrypted is False


@pytest.mark.parametrize(
    "path",
    sorted(
        str(p.relative_to(CORPUS))
        for sub in ("csv", "ofx", "qfx", "pdf")
        for p in (CORPUS / sub).glob("*")
        if p.is_file()
    )
    if CORPUS.exists()
    else ["corpus-missing"],
)
def test_every_corpus_file_reads_or_fails_with_a_statement_error(path):
    data = corpus_bytes(path)
    try:
        parsed = read_statement(data, Path(path).name)
    except StatementError as err:
        assert str(err)  # a message for the user, never an empty one
        assert isinstance(err, (CorruptStatement, NoTextLayer)) or type(err).__name__ == "UnsupportedFormat"
        return
    assert 0.0 <= parsed.confidence <= 1.0
    for row in parsed.rows:
        assert isinstance(row.amount, Decimal)
        assert isinstance(row.date, dt.date)
