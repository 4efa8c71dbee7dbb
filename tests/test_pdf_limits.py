"""No PDF holds a worker: the security review's hostile files end with a typed error naming the limit.

The files are built here (tests/pdf_factory.py), never committed: 20 pages of
3 million ``0 0 Td`` each (about 617 KB) and 40 pages of about 70 MB of text
each. No test asserts a wall-clock time; they assert the typed error, the limit
it names and that nothing was created, with both engines.
"""

from __future__ import annotations

import importlib
import itertools

import pytest
from django.test import override_settings

from django_expense_ai import limits
from django_expense_ai.exceptions import ProcessingLimitExceeded, StatementTooLarge
from django_expense_ai.models import StatementProcessingLog, Transaction
from django_expense_ai.statements import import_statement
from django_expense_ai.statements.formats import pdf
from django_expense_ai.statements.pipeline import process_queued
from django_expense_ai.statements.reader import read_statement

from . import pdf_factory as factory
from .settings import TASKS_MODULE

pytest.importorskip("pypdfium2", reason="the [pdfium] extra (pypdfium2) is part of the dev install")

ENGINES = ("pypdf", "pdfium")


@pytest.fixture(scope="module")
def td_flood() -> bytes:
    return factory.td_flood_pdf()


@pytest.fixture(scope="module")
def text_flood() -> bytes:
    return factory.text_flood_pdf()


@pytest.fixture(params=["td_flood", "text_flood"])
def hostile(request) -> bytes:
    return request.getfixturevalue(request.param)


def test_the_hostile_files_are_what_the_issue_describes(td_flood, text_flood):
    assert 500_000 < len(td_flood) < 800_000
    assert len(text_flood) < 10_000_000
    for data, pages in ((td_flood, 20), (text_flood, 40)):
        document = pdf.open_pdf(data, engine="pypdf")
        assert document.page_count() == pages


@pytest.mark.parametrize("engine", ENGINES)
def test_hostile_pdf_stops_at_its_first_page_on_the_content_limit(hostile, engine):
    with override_settings(EXPENSE_AI={"PDF_ENGINE": engine, "IMMEDIATE_MAX_PAGES": 0}):
        with pytest.raises(ProcessingLimitExceeded) as info:
            read_statement(hostile, "statement.pdf")
    assert info.value.limit == "MAX_PAGE_CONTENT_BYTES" and info.value.value == 1024 * 1024
    assert "Page 1 " in str(info.value) and "MAX_PAGE_CONTENT_BYTES" in str(info.value)


@pytest.mark.parametrize("engine", ENGINES)
def test_operator_limit_holds_when_the_content_limit_is_off(td_flood, engine):
    with override_settings(EXPENSE_AI={"PDF_ENGINE": engine, "MAX_PAGE_CONTENT_BYTES": 0}):
        with pytest.raises(ProcessingLimitExceeded) as info:
            read_statement(td_flood, "statement.pdf")
    assert info.value.limit == "MAX_PAGE_TEXT_OPERATORS" and "Page 1 " in str(info.value)


@pytest.mark.parametrize("engine", ENGINES)
def test_a_page_just_over_a_low_content_limit_is_refused_and_one_under_is_read(engine):
    data = factory.build_statement(factory.make_rows(30))
    with override_settings(EXPENSE_AI={"PDF_ENGINE": engine, "MAX_PAGE_CONTENT_BYTES": 2_000}):
        with pytest.raises(ProcessingLimitExceeded) as info:
            read_statement(data, "s.pdf")
    assert info.value.limit == "MAX_PAGE_CONTENT_BYTES"
    with override_settings(EXPENSE_AI={"PDF_ENGINE": engine, "MAX_PAGE_TEXT_OPERATORS": 20}):
        with pytest.raises(ProcessingLimitExceeded) as info:
            read_statement(data, "s.pdf")
    assert info.value.limit == "MAX_PAGE_TEXT_OPERATORS"
    with override_settings(EXPENSE_AI={"PDF_ENGINE": engine}):
        assert len(read_statement(data, "s.pdf").rows) == 30


@pytest.mark.parametrize("engine", ENGINES)
def test_content_hidden_in_nested_forms_counts_against_the_page(engine):
    flood = factory.nested_form_pdf(b"BT /F1 10 Tf 72 700 Td " + b"0 0 Td " * 300_000 + b"(end) Tj ET")
    with override_settings(EXPENSE_AI={"PDF_ENGINE": engine}):
        with pytest.raises(ProcessingLimitExceeded) as info:
            read_statement(flood, "statement.pdf")
    assert info.value.limit == "MAX_PAGE_CONTENT_BYTES"
    # The same file with a small form reads, so the limit is what stopped the big one.
    small = factory.nested_form_pdf(b"BT /F1 10 Tf 72 700 Td (01/02/2024 Coffee 3.50) Tj ET")
    with override_settings(EXPENSE_AI={"PDF_ENGINE": engine}):
        assert "Statement" in read_statement(small, "statement.pdf").raw_text


class _Clock:
    """A stand-in for the ``time`` module inside :mod:`limits`: one second passes per look."""

    def __init__(self) -> None:
        self._ticks = itertools.count()

    def monotonic(self) -> float:
        return float(next(self._ticks))


@pytest.mark.parametrize("engine", ENGINES)
def test_a_low_processing_budget_is_honoured_between_pages(engine, monkeypatch):
    data = factory.build_statement(factory.make_rows(200))  # several pages
    monkeypatch.setattr(limits, "time", _Clock())
    with override_settings(EXPENSE_AI={"PDF_ENGINE": engine, "MAX_PROCESSING_SECONDS": 4}):
        with pytest.raises(ProcessingLimitExceeded) as info:
            read_statement(data, "s.pdf")
    assert info.value.limit == "MAX_PROCESSING_SECONDS" and info.value.value == 4
    assert "stopped at page" in str(info.value)


def test_the_budget_is_checked_inside_a_pdfium_page(monkeypatch):
    # One page of some 45 lines: PDFium's text runs are checked every 32 runs.
    lines = [f"{day:02d}/03/2024  Coffee shop number {day} in the high street  {day}.50" for day in range(1, 29)]
    data = factory.text_pdf(*lines * 5, pages=1)
    document = pdf.open_pdf(data, engine="pdfium")
    monkeypatch.setattr(limits, "time", _Clock())
    # t=0 opens the budget; the page check (t=1), the content check (t=2) and the first run
    # check (t=3) pass; the next check inside the page (t=4) is past 3.5 seconds.
    with limits.processing_deadline(3.5):
        with pytest.raises(ProcessingLimitExceeded) as info:
            document.page_text(0)
    assert info.value.limit == "MAX_PROCESSING_SECONDS" and "page 1" in str(info.value)
    document.close()


# -- through the pipeline -----------------------------------------------------------


def _assert_failed_on_a_limit(uf, limit: str) -> None:
    uf.refresh_from_db()
    assert uf.status == "failed" and uf.error_stage == "text_extraction"
    assert limit in uf.error_message
    failed = StatementProcessingLog.objects.get(uploaded_file=uf, processing_stage="text_extraction")
    assert failed.status == "failed" and failed.details["error"] == "ProcessingLimitExceeded"
    assert limit in failed.details["message"]
    assert not Transaction.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("engine", ENGINES)
def test_import_of_a_hostile_pdf_fails_with_the_limit_and_creates_nothing(user, hostile, engine):
    with override_settings(EXPENSE_AI={"PDF_ENGINE": engine, "IMMEDIATE_MAX_BYTES": 0, "IMMEDIATE_MAX_PAGES": 0}):
        uf = import_statement(user, hostile, filename="statement.pdf")
    _assert_failed_on_a_limit(uf, "MAX_PAGE_CONTENT_BYTES")


@pytest.mark.django_db
def test_import_honours_a_low_processing_budget(user, monkeypatch):
    data = factory.build_statement(factory.make_rows(200))
    monkeypatch.setattr(limits, "time", _Clock())
    with override_settings(EXPENSE_AI={"MAX_PROCESSING_SECONDS": 3}):
        uf = import_statement(user, data, filename="statement.pdf")
    _assert_failed_on_a_limit(uf, "MAX_PROCESSING_SECONDS")


# -- big files leave the request ---------------------------------------------------

DUMMY_TASKS = {"default": {"BACKEND": f"{TASKS_MODULE}.backends.dummy.DummyBackend"}}


@pytest.fixture
def task_queue(settings):
    """The dummy tasks backend: it keeps what is enqueued and runs nothing."""
    settings.TASKS = DUMMY_TASKS
    backend = importlib.import_module(TASKS_MODULE).default_task_backend
    backend.clear()
    return backend


@pytest.mark.django_db
def test_hostile_pdf_in_immediate_mode_goes_to_the_queue_and_fails_there(
    user, text_flood, task_queue, django_capture_on_commit_callbacks
):
    # Immediate mode (the default): 40 pages and several MB are over both thresholds.
    with django_capture_on_commit_callbacks(execute=True):
        uf = import_statement(user, text_flood, filename="statement.pdf")
    assert uf.status == "queued"
    [queued] = task_queue.results
    assert queued.args == [uf.pk]
    assert not StatementProcessingLog.objects.filter(uploaded_file=uf, processing_stage="text_extraction").exists()
    done = process_queued(uf.pk)
    _assert_failed_on_a_limit(done, "MAX_PAGE_CONTENT_BYTES")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("limits_set", "queued"),
    [
        ({"IMMEDIATE_MAX_PAGES": 2}, True),
        ({"IMMEDIATE_MAX_PAGES": 3}, False),
        ({"IMMEDIATE_MAX_BYTES": 1_000}, True),
        ({"IMMEDIATE_MAX_BYTES": 0, "IMMEDIATE_MAX_PAGES": 0}, False),
    ],
)
def test_immediate_mode_queues_a_file_over_a_threshold(
    user, task_queue, django_capture_on_commit_callbacks, limits_set, queued
):
    data = factory.text_pdf("01/02/2024  Coffee  3.50", pages=3)
    with override_settings(EXPENSE_AI=limits_set), django_capture_on_commit_callbacks(execute=True):
        uf = import_statement(user, data, filename="statement.pdf")
    assert (uf.status == "queued") is queued
    assert len(task_queue.results) == (1 if queued else 0)
    if not queued:
        assert uf.status in ("completed", "failed")


@pytest.mark.django_db
@override_settings(EXPENSE_AI={"IMMEDIATE_MAX_BYTES": 50})
def test_a_large_csv_in_immediate_mode_goes_to_the_queue(user, task_queue, django_capture_on_commit_callbacks):
    data = b"Date,Description,Amount\n" + b"".join(b"2024-02-%02d,Coffee,-3.50\n" % d for d in range(1, 20))
    with django_capture_on_commit_callbacks(execute=True):
        uf = import_statement(user, data, filename="statement.csv")
    assert uf.status == "queued" and len(task_queue.results) == 1
    done = process_queued(uf.pk)
    assert done.status == "completed" and len(done.created_transactions) == 19


def test_statement_too_large_is_what_a_caller_catches():
    # ProcessingLimitExceeded is a StatementTooLarge: callers that caught the older error still do.
    assert issubclass(ProcessingLimitExceeded, StatementTooLarge)


@pytest.mark.django_db
def test_a_caller_outside_a_request_can_read_a_large_file_in_place(user, task_queue):
    data = factory.build_statement(factory.make_rows(12))
    with override_settings(EXPENSE_AI={"IMMEDIATE_MAX_BYTES": 100}):
        uf = import_statement(user, data, filename="statement.pdf", defer_large=False)
    assert uf.status == "completed" and len(uf.created_transactions) == 12
    assert task_queue.results == []


@pytest.mark.django_db
def test_the_import_command_reads_large_files_in_place(user, task_queue, tmp_path):
    from django.core.management import call_command

    path = tmp_path / "statement.pdf"
    path.write_bytes(factory.build_statement(factory.make_rows(12)))
    with override_settings(EXPENSE_AI={"IMMEDIATE_MAX_BYTES": 100, "IMMEDIATE_MAX_PAGES": 0}):
        call_command("expense_ai_import", str(path), user=user.username, verbosity=0)
    assert Transaction.objects.filter(user=user).count() == 12 and task_queue.results == []
