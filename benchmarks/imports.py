"""Benchmark the statement import pipeline (PostgreSQL).

Run from the repository root::

    EXPENSE_AI_TEST_DB=postgres EXPENSE_AI_TEST_DBNAME=bench_ea_<you> PYTHONPATH=src:. \\
        DJANGO_SETTINGS_MODULE=tests.settings .venv/bin/python benchmarks/imports.py [--runs 5] [--only pdf]

It creates its own database (``EXPENSE_AI_BENCH_DBNAME``, else an
``EXPENSE_AI_TEST_DBNAME`` starting with ``bench_``, else ``bench_ea_imports``)
with Django's test-database machinery (the shipped migrations build the schema),
and drops it at the end, also after an error. Printed, with the targets:

* end-to-end import of a 2,000-row CSV (target >= 5,000 rows/s);
* a 50-page PDF statement built with ``tests/pdf_factory``, with each PDF
  engine side by side (``EXPENSE_AI["PDF_ENGINE"]`` = ``"pypdf"`` and, when
  pypdfium2 is installed, ``"pdfium"``): the page text alone (open, measure
  and lay out every page) and the import end to end, and how much faster
  PDFium is (target >= 5x end to end). The engines are timed in alternation,
  taking turns at going first, so a busy machine slows both alike, each after
  a ``gc.collect()`` (neither pays for garbage the other left; the
  collections its own allocations trigger are timed, and printed). The stage
  timings are medians over the runs;
* de-duplication of 1,000 rows against 100,000 existing transactions
  (target < 0.5 s), and the number of queries for 100 and for 1,000 rows
  (``CaptureQueriesContext``: it must not grow);
* peak memory of the PDF import with each engine (target < 200 MB):
  ``tracemalloc`` peak of Python allocations during the import, and the
  process's ``ru_maxrss``.

``--only csv|pdf|dedup`` (repeatable) runs only those parts. Each timing is
the median of ``--runs`` runs; every import run uses a fresh
user, so neither file nor row de-duplication short-circuits it. The load
average is printed before and after: on a shared machine, compare runs made
under similar load.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import gc
import os
import resource
import statistics
import sys
import time
import tracemalloc
from decimal import Decimal

_given = os.environ.get("EXPENSE_AI_TEST_DBNAME", "")
BENCH_DB = os.environ.get("EXPENSE_AI_BENCH_DBNAME") or (_given if _given.startswith("bench_") else "bench_ea_imports")
# tests.settings reads the test database name at import: point it at ours first.
os.environ["EXPENSE_AI_TEST_DBNAME"] = BENCH_DB
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
sys.path[:0] = [p for p in ("src", ".") if p not in sys.path]

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_databases, teardown_databases  # noqa: E402
from tests.pdf_factory import build_statement, make_rows  # noqa: E402

from django_expense_ai.models import Account, Transaction  # noqa: E402
from django_expense_ai.statements import import_statement  # noqa: E402
from django_expense_ai.statements.ledger_candidates import find_duplicates  # noqa: E402
from django_expense_ai.statements.types import StatementRow  # noqa: E402

_users = 0


def new_user():
    global _users
    _users += 1
    return get_user_model().objects.create(username=f"bench{_users}", password="!")


def median_time(fn, runs: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def stage_times(uf) -> str:
    """The run's stage timings from its log rows (the pipeline measures each stage)."""
    return ", ".join(
        f"{stage} {ms}" for stage, ms in uf.processing_logs.order_by("pk").values_list(
            "processing_stage", "execution_time_ms") if ms
    )


def csv_statement(rows: int) -> bytes:
    start = dt.date(2025, 1, 1)
    lines = ["Date,Description,Amount"]
    for i in range(rows):
        amount = Decimal(-(1 + (i * 131) % 900)) - Decimal(i % 100) / 100
        if i % 7 == 6:
            amount = Decimal(1000 + i % 500)
        lines.append(f"{(start + dt.timedelta(days=i // 20)).isoformat()},SHOP {i:05d} CARD PURCHASE,{amount}")
    return ("\n".join(lines) + "\n").encode()


def bench_csv(runs: int) -> None:
    data = csv_statement(2000)

    def run():
        uf = import_statement(new_user(), data, filename="big.csv")
        assert uf.status == "completed" and len(uf.created_transactions) == 2000, uf.error_message
        return uf

    seconds, uf = median_time(run, runs)
    rate = 2000 / seconds
    print(f"CSV 2,000 rows end to end: {seconds * 1000:.0f} ms = {rate:,.0f} rows/s "
          f"(target >= 5,000 rows/s: {'met' if rate >= 5000 else 'MISSED'})")
    print(f"  stages (ms, last run): {stage_times(uf)}")


@contextlib.contextmanager
def gc_time():
    """Seconds spent in the cyclic garbage collector inside the block (``spent[0]``, set on exit)."""
    spent = [0.0]
    started = [0.0]

    def callback(phase, info):
        if phase == "start":
            started[0] = time.perf_counter()
        else:
            spent[0] += time.perf_counter() - started[0]

    gc.callbacks.append(callback)
    try:
        yield spent
    finally:
        gc.callbacks.remove(callback)


def bench_pdf(runs: int) -> None:
    from django.test import override_settings

    from django_expense_ai.statements.formats import pdf, pdf_engines

    rows = make_rows(2390)  # 50 pages of the factory's layout (48 rows a page, less the headers)
    data = build_statement(rows)
    engines = ["pypdf", "pdfium"] if pdf_engines.pdfium_available() else ["pypdf"]
    if len(engines) == 1:
        print("PDF: pypdfium2 is not installed (pip install 'django-expense-ai[pdfium]'): pypdf only")
    pages = pdf.open_pdf(data, engine="pypdf").page_count()

    def text_alone(engine: str):
        document = pdf.open_pdf(data, engine=engine)
        try:
            return pdf.extract_pages(document, max_pages=0, max_seconds=0)
        finally:
            document.close()

    def pipeline(engine: str):
        # The thresholds would send a 50-page file to the task queue: read it here.
        options = {"PDF_ENGINE": engine, "IMMEDIATE_MAX_BYTES": 0, "IMMEDIATE_MAX_PAGES": 0}
        with override_settings(EXPENSE_AI=options):
            uf = import_statement(new_user(), data, filename="fifty.pdf")
        assert uf.status == "completed" and len(uf.created_transactions) == len(rows), uf.error_message
        return uf

    def timed(fn):
        # Each side starts from a collected heap, so neither pays for the garbage the
        # other left; collections its own allocations trigger are timed (and shown).
        gc.collect()
        with gc_time() as spent:
            seconds, result = median_time(fn, 1)
        return seconds, spent[0], result

    text_times: dict[str, list[float]] = {e: [] for e in engines}
    full_times: dict[str, list[float]] = {e: [] for e in engines}
    full_gc: dict[str, list[float]] = {e: [] for e in engines}
    stages: dict[str, list[dict]] = {e: [] for e in engines}
    for run in range(runs):  # alternate, taking turns at going first, so load changes hit all alike
        order = engines if run % 2 == 0 else engines[::-1]
        for engine in order:
            seconds, _, _ = timed(lambda engine=engine: text_alone(engine))
            text_times[engine].append(seconds)
            seconds, spent, uf = timed(lambda engine=engine: pipeline(engine))
            full_times[engine].append(seconds)
            full_gc[engine].append(spent)
            stages[engine].append(dict(uf.processing_logs.order_by("pk").values_list(
                "processing_stage", "execution_time_ms")))
    text = {e: statistics.median(t) for e, t in text_times.items()}
    full = {e: statistics.median(t) for e, t in full_times.items()}
    print(f"PDF {pages} pages, {len(rows):,} rows, median of {runs} runs:")
    for engine in engines:
        names = [name for name in stages[engine][-1] if any(run.get(name) for run in stages[engine])]
        print(f"  {engine:6s}: page text alone {text[engine] * 1000:5.0f} ms; import end to end "
              f"{full[engine] * 1000:5.0f} ms (cyclic GC {statistics.median(full_gc[engine]) * 1000:.0f} ms)")
        print("          stages (ms): " + ", ".join(
            f"{name} {statistics.median(run.get(name, 0) for run in stages[engine]):.0f}" for name in names))
    if "pdfium" in engines:
        text_x, full_x = text["pypdf"] / text["pdfium"], full["pypdf"] / full["pdfium"]
        pairs = sorted(p / q for p, q in zip(full_times["pypdf"], full_times["pdfium"], strict=True))
        print(f"  pdfium vs pypdf: page text {text_x:.1f}x faster; import end to end {full_x:.1f}x faster "
              f"(target >= 5x: {'met' if full_x >= 5 else 'MISSED'}); per-run ratios "
              + ", ".join(f"{r:.1f}" for r in pairs))

    for engine in engines:
        tracemalloc.start()
        pipeline(engine)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"PDF import peak memory ({engine}): tracemalloc {peak / 2**20:.1f} MB")
    maxrss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(f"process ru_maxrss after all runs {maxrss_mb:.0f} MB (target < 200 MB: "
          f"{'met' if maxrss_mb < 200 else 'MISSED'})")


def bench_dedup(runs: int) -> None:
    user = new_user()
    account = Account.objects.create(user=user, name="Checking")
    start = dt.date(2022, 1, 1)

    def amount(i: int) -> Decimal:
        return -(Decimal(1 + (i * 7919) % 50000) / 100)

    batch = []
    for i in range(100_000):  # about 90 a day over three years
        batch.append(Transaction(user=user, account=account, date=start + dt.timedelta(days=i // 90),
                                 amount=amount(i), currency="USD", description=f"MERCHANT {i % 3000} REF {i}"))
        if len(batch) == 10_000:
            Transaction.objects.bulk_create(batch)
            batch = []
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Transaction._meta.db_table}")

    def incoming(n: int) -> list[StatementRow]:
        # Half re-imported rows (from the last month), half new ones the same days.
        first = 100_000 - 2700
        rows = []
        for k in range(n):
            i = first + k * 2
            date = start + dt.timedelta(days=i // 90)
            if k % 2:
                rows.append(StatementRow(date=date, description=f"MERCHANT {i % 3000} REF {i}", amount=amount(i)))
            else:
                rows.append(StatementRow(date=date, description=f"NEW SHOP {k}", amount=Decimal("-3.33") - k))
        return rows

    rows = incoming(1000)
    seconds, result = median_time(lambda: find_duplicates(user, account, rows), runs)
    print(f"De-duplication of 1,000 rows against 100,000 transactions: {seconds * 1000:.0f} ms, "
          f"{len(result.matches)} duplicates, {result.candidates} candidates fetched "
          f"(target < 500 ms: {'met' if seconds < 0.5 else 'MISSED'})")
    counts = {}
    for n in (100, 1000):
        with CaptureQueriesContext(connection) as ctx:
            find_duplicates(user, account, incoming(n))
        counts[n] = len(ctx.captured_queries)
    print(f"Queries: {counts[100]} for 100 rows, {counts[1000]} for 1,000 rows "
          f"({'constant' if counts[100] == counts[1000] else 'GROWS'})")


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", action="append", choices=("csv", "pdf", "dedup"),
                        help="run only this benchmark (repeatable; default: all)")
    args = parser.parse_args()
    chosen = set(args.only or ("csv", "pdf", "dedup"))
    if connection.vendor != "postgresql":
        print(f"Note: running on {connection.vendor}; the targets are for PostgreSQL.")
    old_config = setup_databases(verbosity=1, interactive=False)
    try:
        print(f"Database: {connection.vendor} {connection.settings_dict['NAME']}; "
              f"{os.cpu_count()} CPUs, load average {load_average()}")
        if "csv" in chosen:
            bench_csv(args.runs)
        if "pdf" in chosen:
            bench_pdf(args.runs)
        if "dedup" in chosen:
            bench_dedup(args.runs)
        print(f"Load average at the end: {load_average()}")
    finally:
        teardown_databases(old_config, verbosity=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
