"""manage.py expense_ai_import: progress, summary table, exit status."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from django_expense_ai.models import Account, Transaction, UploadedFile

from .pdf_factory import ELF_BYTES, build_statement, encrypt_pdf, make_rows

pytestmark = pytest.mark.django_db

CSV = b"Date,Description,Amount\n2024-03-01,Coffee,-3.50\n2024-03-02,Salary,2500.00\n"


def run(*args):
    out, err = StringIO(), StringIO()
    call_command("expense_ai_import", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_imports_files_and_prints_a_summary(user, tmp_path):
    account = Account.objects.create(user=user, name="Main", currency="EUR")
    a = tmp_path / "march.csv"
    a.write_bytes(CSV)
    b = tmp_path / "locked.pdf"
    b.write_bytes(encrypt_pdf(build_statement(make_rows(7)), "cli-pw"))
    out, err = run(str(a), str(b), "--user", "alice", "--account", str(account.pk), "--password", "cli-pw",
                   "-v", "2")
    assert Transaction.objects.filter(account=account).count() == 9
    lines = out.splitlines()
    assert lines[0].split() == ["file", "status", "found", "created", "duplicates", "failed"]
    assert lines[2].split() == ["march.csv", "completed", "2", "2", "0", "0"]
    assert lines[3].split() == ["locked.pdf", "completed", "7", "7", "0", "0"]
    # Off a terminal, -v 2 gives plain lines (no redrawn bar, no carriage returns).
    assert "[2/2] locked.pdf completion: success" in err and "\r" not in err
    assert "cli-pw" not in out + err


def test_second_run_creates_nothing(user, tmp_path):
    a = tmp_path / "march.csv"
    a.write_bytes(CSV)
    run(str(a), "--user", "alice")
    out, _ = run(str(a), "--user", "alice")
    assert Transaction.objects.count() == 2
    assert "nothing imported again" in out


def test_failure_gives_non_zero_exit_and_the_reason(user, tmp_path):
    good = tmp_path / "march.csv"
    good.write_bytes(CSV)
    bad = tmp_path / "statement.pdf"
    bad.write_bytes(ELF_BYTES)
    out = StringIO()
    with pytest.raises(CommandError, match="1 of 2 file"):
        call_command("expense_ai_import", str(good), str(bad), "--user", "alice", stdout=out, stderr=StringIO())
    text = out.getvalue()
    assert "statement.pdf: failed at upload" in text and "executable" in text
    assert Transaction.objects.count() == 2  # the good file still went in
    assert UploadedFile.objects.filter(status="failed").count() == 1


def test_bad_arguments(user, other_user, tmp_path):
    a = tmp_path / "march.csv"
    a.write_bytes(CSV)
    with pytest.raises(CommandError, match="No user"):
        run(str(a), "--user", "nobody")
    theirs = Account.objects.create(user=other_user, name="Bob's")
    with pytest.raises(CommandError, match="no account"):
        run(str(a), "--user", "alice", "--account", str(theirs.pk))
    with pytest.raises(CommandError, match="No such file"):
        run(str(tmp_path / "missing.csv"), "--user", "alice")
    assert not UploadedFile.objects.exists()
