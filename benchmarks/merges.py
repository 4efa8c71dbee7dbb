"""Benchmark duplicate-statement detection (PostgreSQL).

Run from the repository root::

    EXPENSE_AI_TEST_DB=postgres PYTHONPATH=src:. DJANGO_SETTINGS_MODULE=tests.settings \\
        .venv/bin/python benchmarks/merges.py [--runs 5]

It creates its own database (``bench_ea_merges``, or ``EXPENSE_AI_BENCH_DBNAME``)
with Django's test-database machinery and drops it at the end, also after an
error. The user holds 100 completed monthly statements of 1,000 parsed rows
each and their 100,000 transactions. Printed, with the target:

* ``detect_duplicate_statements`` for a 1,000-row re-download of one month
  under new bank ids (target < 1 s), and its query count;
* the same for a 1,000-row statement of a month nobody imported (no overlap);
* the pure scoring of the pair alone, and the share of the total it takes;
* completing the suggested merge (``keep_primary``).

Each timing is the median of ``--runs`` runs (the suggested merge is deleted
between runs so that the pair is compared again).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import os
import statistics
import sys
import time
from decimal import Decimal

BENCH_DB = os.environ.get("EXPENSE_AI_BENCH_DBNAME", "bench_ea_merges")
# tests.settings reads the test database name at import: point it at ours first.
os.environ["EXPENSE_AI_TEST_DBNAME"] = BENCH_DB
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
sys.path[:0] = [p for p in ("src", ".") if p not in sys.path]

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_databases, teardown_databases  # noqa: E402
from django.utils import timezone  # noqa: E402

from django_expense_ai.models import Account, StatementMerge, Transaction, UploadedFile  # noqa: E402
from django_expense_ai.statements.merges import (  # noqa: E402
    detect_duplicate_statements,
    statement_of,
    transition_merge,
)
from django_expense_ai.statements.similarity import compare_statements  # noqa: E402

FILES = 100
ROWS = 1000
FIRST_MONTH = dt.date(2015, 1, 1)


def month_start(index: int) -> dt.date:
    year, month = divmod(FIRST_MONTH.month - 1 + index, 12)
    return dt.date(FIRST_MONTH.year + year, month + 1, 1)


def month_rows(index: int, *, id_prefix: str) -> list[dict]:
    start = month_start(index)
    rows = []
    for i in range(ROWS):
        day = start + dt.timedelta(days=i % 28)
        amount = Decimal(-((i * 37 + index * 11) % 20000 + 100)) / 100
        rows.append({"date": day.isoformat(), "description": f"CARD PAYMENT MERCHANT {i % 350} REF {i}",
                     "amount": str(amount), "currency": "EUR", "balance": None,
                     "bank_id": f"{id_prefix}-{index}-{i}"})
    return rows


def parsed(index: int, *, id_prefix: str) -> dict:
    start = month_start(index)
    return {"parser": "bench", "parser_type": "system", "confidence": 1.0, "currency": "EUR",
            "period_start": start.isoformat(), "period_end": (start + dt.timedelta(days=27)).isoformat(),
            "opening_balance": None, "closing_balance": None, "account_hint": "",
            "rows": month_rows(index, id_prefix=id_prefix)}


def make_file(user, account, index: int, *, id_prefix: str, name: str) -> UploadedFile:
    data = parsed(index, id_prefix=id_prefix)
    return UploadedFile.objects.create(
        user=user, account=account, filename=name, status="completed", processed_at=timezone.now(),
        sha256=hashlib.sha256(f"{name}".encode()).hexdigest(), parsed_json=data, size=1,
    )


def build(user, account) -> None:
    started = time.perf_counter()
    for index in range(FILES):
        uf = make_file(user, account, index, id_prefix="OLD", name=f"month-{index:03d}.ofx")
        Transaction.objects.bulk_create(
            [Transaction(user=user, account=account, date=dt.date.fromisoformat(r["date"]),
                         amount=Decimal(r["amount"]), currency="EUR", description=r["description"],
                         source="statement", uploaded_file=uf, bank_id=r["bank_id"])
             for r in uf.parsed_json["rows"]],
            batch_size=2000,
        )
    print(f"setup: {FILES} files, {Transaction.objects.count():,} transactions in "
          f"{time.perf_counter() - started:.1f} s")


def timed(fn, runs: int, before=None) -> tuple[float, object, int]:
    times, result, queries = [], None, 0
    for _ in range(runs):
        if before:
            before()
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            result = fn()
            times.append(time.perf_counter() - started)
        queries = len(ctx.captured_queries)
    return statistics.median(times), result, queries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        print(f"note: running on {connection.vendor}; the target is for PostgreSQL")
    old_config = setup_databases(verbosity=0, interactive=False)
    try:
        user = get_user_model().objects.create(username="bench", password="!")
        account = Account.objects.create(user=user, name="Current", currency="EUR")
        build(user, account)
        redownload = make_file(user, account, 50, id_prefix="NEW", name="month-050-again.ofx")
        fresh = make_file(user, account, FILES + 5, id_prefix="NEW", name="future.ofx")

        def clear():
            StatementMerge.objects.all().delete()

        seconds, merges, queries = timed(lambda: detect_duplicate_statements(redownload), args.runs, clear)
        (merge,) = merges
        print(f"detect, 1,000-row re-download vs {FILES} files / {FILES * ROWS:,} transactions: "
              f"{seconds * 1000:.0f} ms, {queries} queries, score {merge.similarity_score} "
              f"(target < 1000 ms: {'met' if seconds < 1 else 'MISSED'})")
        none_s, none_merges, none_q = timed(lambda: detect_duplicate_statements(fresh), args.runs, clear)
        print(f"detect, 1,000-row statement of a month nobody imported: {none_s * 1000:.0f} ms, "
              f"{none_q} queries, {len(none_merges)} merges")
        original = UploadedFile.objects.get(filename="month-050.ofx")
        a, b = statement_of(original), statement_of(redownload)
        pure_s, _, _ = timed(lambda: compare_statements(a, b), args.runs)
        print(f"pure scoring of the pair: {pure_s * 1000:.0f} ms ({pure_s / seconds:.0%} of detection)")

        (merge,) = detect_duplicate_statements(redownload)
        transition_merge(merge, "approved", user=user)
        started = time.perf_counter()
        transition_merge(merge, "completed", user=user)
        print(f"complete keep_primary (nothing to remove: the re-download created no rows): "
              f"{(time.perf_counter() - started) * 1000:.0f} ms")
    finally:
        teardown_databases(old_config, verbosity=0)


if __name__ == "__main__":
    main()
