"""Benchmark archival and restore on PostgreSQL: rows per second (target ≥ 20,000 rows/s).

Run from the repository root::

    EXPENSE_AI_TEST_DB=postgres PYTHONPATH=src:. DJANGO_SETTINGS_MODULE=tests.settings \\
        .venv/bin/python benchmarks/archive.py [--messages 200000] [--logs 50000] \\
        [--batch-size 2000 10000] [--repeat 3] [--gzip-level 1 6]

It creates its own database (``bench_ea_archive``, or ``EXPENSE_AI_BENCH_DBNAME``)
with Django's test-database machinery (the shipped migrations build the
schema), loads old chat messages and processing logs with ``bulk_create``
(one message in ten is linked both ways to a transaction, as chat entries
are), writes archives to a ``FileSystemStorage`` in a temporary folder, and
for each gzip level, batch size and repeat:

* times ``archive_model()`` of both models (the PostgreSQL fast path: read,
  lock, lines built by the database, gzip, write the file, delete, commit,
  batch by batch) and prints rows/s and the archive size;
* times ``restore()`` of everything it wrote (rows/s), checks the row counts
  and the re-linked transactions, and restores again to time the idempotent
  no-op pass; then ``VACUUM ANALYZE`` (not timed), as autovacuum would, so
  every repeat starts from a comparable table.

At the end it prints the median archive and restore rates per gzip level and
batch size, and the load average before and after (figures on a busy
machine are only ratios). ``--path generic fast`` also times the generic
(all databases) path, interleaved with the fast one, for comparison. The database and the folder
are removed at the end, also after an error.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import statistics
import sys
import tempfile
import time
from decimal import Decimal

BENCH_DB = os.environ.get("EXPENSE_AI_BENCH_DBNAME", "bench_ea_archive")
# tests.settings reads the test database name from the environment at import.
os.environ["EXPENSE_AI_TEST_DBNAME"] = BENCH_DB
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.files.storage import FileSystemStorage  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import setup_databases, teardown_databases  # noqa: E402

from django_expense_ai.maintenance import archive as archive_module  # noqa: E402
from django_expense_ai.maintenance.archive import archive_model, restore  # noqa: E402
from django_expense_ai.models import (  # noqa: E402
    ChatMessage,
    StatementProcessingLog,
    Transaction,
    UploadedFile,
)

USERS = 50
OLD = dt.datetime(2023, 6, 1, tzinfo=dt.UTC)
CUTOFF = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


def load(messages: int, logs: int) -> None:
    """Old messages and logs (plus the users, files and linked transactions they need)."""
    user_model = get_user_model()
    user_model.objects.bulk_create([user_model(username=f"bench{i}", password="!") for i in range(USERS)])
    users = list(user_model.objects.order_by("pk").values_list("pk", flat=True))
    files = UploadedFile.objects.bulk_create(
        [UploadedFile(user_id=users[i % USERS], filename=f"statement-{i}.pdf") for i in range(500)]
    )
    batch = 5000
    for start in range(0, messages, batch):
        ChatMessage.objects.bulk_create(
            [
                ChatMessage(
                    user_id=users[i % USERS],
                    conversation_id="main",
                    content=f"@john $50 lunch at pizza place #{i}",
                    metadata={"amount": "50.00", "currency": "USD", "mentions": ["@john"], "confidence": 0.93},
                    status="completed",
                )
                for i in range(start, min(start + batch, messages))
            ]
        )
    for start in range(0, logs, batch):
        StatementProcessingLog.objects.bulk_create(
            [
                StatementProcessingLog(
                    uploaded_file_id=files[i % len(files)].pk,
                    processing_stage="parse_attempt",
                    status="success",
                    parser_type="pdf",
                    details={"rows": 42, "parser": "generic_pdf", "confidence": "0.97", "warnings": []},
                    execution_time_ms=120,
                )
                for i in range(start, min(start + batch, logs))
            ]
        )
    # auto_now_add stamped "now": make every row old in one statement each.
    ChatMessage.objects.update(created_at=OLD, updated_at=OLD)
    StatementProcessingLog.objects.update(created_at=OLD)
    # One message in ten created a transaction: links both ways.
    linked = list(ChatMessage.objects.order_by("pk").values_list("pk", "user_id")[::10])
    for start in range(0, len(linked), batch):
        Transaction.objects.bulk_create(
            [
                Transaction(user_id=uid, date=dt.date(2023, 6, 1), amount=Decimal("-50.00"), chat_message_id=pk,
                            source="chat")
                for pk, uid in linked[start : start + batch]
            ]
        )
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE finance_chat_messages m SET related_transaction_id = t.id "
            "FROM finance_transactions t WHERE t.chat_message_id = m.id"
        )
    # The updates above left a dead copy of every row: vacuum, as autovacuum
    # would have long before the rows are old enough to archive.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def report_cache_figures(runs: int = 200) -> None:
    """Median ``monthly_totals`` time: computed, a LocMemCache hit, a Redis hit (if reachable)."""
    from django.core.cache import caches
    from django.test.utils import override_settings

    from django_expense_ai.ledger.reports import _monthly_totals, monthly_totals

    user_id = Transaction.objects.values_list("user_id", flat=True).first()

    def median_ms(fn) -> float:
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            fn()
            times.append((time.perf_counter() - started) * 1000)
        return statistics.median(times)

    print()
    print(f"monthly_totals of one user-month ({Transaction.objects.filter(user_id=user_id).count()} "
          f"transactions), median of {runs}:")
    computed = median_ms(lambda: _monthly_totals(user_id, 2023, 6))
    print(f"  computed (no cache)     {computed:7.3f} ms")
    backends = {
        "LocMemCache hit": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "bench"},
        "RedisCache hit": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                           "LOCATION": "redis://127.0.0.1:6379/14"},
    }
    for label, config in backends.items():
        with override_settings(CACHES={"default": config}):
            try:
                caches["default"].clear()
                monthly_totals(user_id, 2023, 6)
            except Exception as err:  # noqa: BLE001 - e.g. no Redis server here
                print(f"  {label:<22}  skipped ({err.__class__.__name__})")
                continue
            hit = median_ms(lambda: monthly_totals(user_id, 2023, 6))
            print(f"  {label:<22}  {hit:7.3f} ms   ({computed / hit:.0f}x faster)")
            caches["default"].clear()


def rate(rows: int, seconds: float) -> str:
    return f"{rows:>9,} rows in {seconds:7.2f} s = {rows / seconds:>9,.0f} rows/s"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=200_000)
    parser.add_argument("--logs", type=int, default=50_000)
    parser.add_argument("--batch-size", type=int, nargs="+", default=[2000, 10000])
    parser.add_argument("--repeat", type=int, default=1, help="runs per batch size (medians are printed)")
    parser.add_argument("--gzip-level", type=int, nargs="+", default=[archive_module._GZIP_LEVEL],
                        help=f"gzip levels to compare (the shipped level is {archive_module._GZIP_LEVEL})")
    parser.add_argument("--path", nargs="+", choices=["fast", "generic"], default=["fast"],
                        help="fast: the PostgreSQL path; generic: the path of the other databases "
                             "(both: interleaved run by run, so load from elsewhere hits both alike)")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        print("This benchmark needs PostgreSQL: set EXPENSE_AI_TEST_DB=postgres.", file=sys.stderr)
        return 2
    pg_line_sql = archive_module._pg_line_sql

    folder = tempfile.mkdtemp(prefix="ea_archive_bench_")
    storage = FileSystemStorage(location=folder)
    old_config = setup_databases(verbosity=1, interactive=False)
    ok = True
    load_before = os.getloadavg()
    rates: dict[tuple[int, int, str], list[tuple[float, float]]] = {}
    try:
        started = time.perf_counter()
        load(args.messages, args.logs)
        print(f"loaded {args.messages:,} old chat messages + {args.logs:,} old processing logs "
              f"in {time.perf_counter() - started:.1f} s")
        linked = Transaction.objects.filter(chat_message__isnull=False).count()
        total = args.messages + args.logs
        report_cache_figures()
        print()
        print(f"{'gzip':>4} {'batch':>6} {'path':<7}  {'step':<22} rate (target archive >= 20,000 rows/s)")
        for level in args.gzip_level:
            archive_module._GZIP_LEVEL = level
            for batch_size in args.batch_size:
                for run in range(args.repeat):
                    for path in args.path:
                        archive_module._pg_line_sql = pg_line_sql if path == "fast" else (lambda *a: None)
                        ok &= run_once(storage, f"run-{level}-{batch_size}-{path}-{run}", f"{level:>4} "
                                       f"{batch_size:>6} {path:<7}", batch_size, total, linked,
                                       rates.setdefault((level, batch_size, path), []))
        print()
        print(f"medians of {args.repeat} run(s):")
        for (level, batch_size, path), runs in rates.items():
            print(f"  gzip {level}, batch {batch_size:>6}, {path:<7}: archive "
                  f"{statistics.median(r[0] for r in runs):>9,.0f} rows/s, restore "
                  f"{statistics.median(r[1] for r in runs):>7,.0f} rows/s")
        print(f"load average (1, 5, 15 min) before: {' '.join(f'{x:.2f}' for x in load_before)}, "
              f"after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print(f"archive target >= 20,000 rows/s; checks {'passed' if ok else 'FAILED'}")
        return 0 if ok else 1
    finally:
        teardown_databases(old_config, verbosity=1)
        shutil.rmtree(folder, ignore_errors=True)


def run_once(storage, prefix: str, label: str, batch_size: int, total: int, linked: int, rates: list) -> bool:
    """Archive everything, restore it, check; appends (archive, restore) rows/s to ``rates``."""
    started = time.perf_counter()
    rows = 0
    size = 0
    for model in (ChatMessage, StatementProcessingLog):
        report = archive_model(model, older_than=CUTOFF, batch_size=batch_size, storage=storage, prefix=prefix)
        rows += report.rows
        size += sum(storage.size(name) for name in report.files)
    archived_in = time.perf_counter() - started
    left = ChatMessage.objects.count() + StatementProcessingLog.objects.count()
    unlinked = Transaction.objects.filter(chat_message__isnull=False).count()
    print(f"{label}  {'archive':<22} {rate(rows, archived_in)}"
          f"   ({size / 2**20:.2f} MiB gzip, {size / max(rows, 1):.1f} B/row)")

    started = time.perf_counter()
    restored = restore(prefix, storage=storage)
    restored_in = time.perf_counter() - started
    print(f"{label}  {'restore':<22} {rate(restored.total_restored, restored_in)}")
    started = time.perf_counter()
    again = restore(prefix, storage=storage)
    print(f"{label}  {'restore again (no-op)':<22} {rate(again.already_present, time.perf_counter() - started)}")
    relinked = Transaction.objects.filter(chat_message__isnull=False).count()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    rates.append((rows / archived_in, restored.total_restored / restored_in))
    checks = {
        "every row archived": rows == total and left == 0,
        "links cleared by the delete": unlinked == 0,
        "every row restored": restored.total_restored == total and again.total_restored == 0,
        "links restored": relinked == linked == restored.relinked.get("expense_ai.transaction.chat_message"),
    }
    for name, passed in checks.items():
        if not passed:
            print(f"        CHECK FAILED: {name}")
    return all(checks.values())


if __name__ == "__main__":
    sys.exit(main())
