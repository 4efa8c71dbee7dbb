"""Benchmark the server time of every page with 340,000 transactions (PostgreSQL).

Run from the repository root::

    EXPENSE_AI_TEST_DB=postgres PYTHONPATH=src:. DJANGO_SETTINGS_MODULE=tests.settings \\
        .venv/bin/python benchmarks/pages.py [--rows 340000] [--runs 25]

It creates its own database (``bench_ea_pages``, or ``EXPENSE_AI_BENCH_DBNAME``)
through Django's test-database machinery (the shipped migrations build the
schema), loads the transactions with ``COPY`` (50 users over the last 12
months, as ``benchmarks/reports.py`` does), gives the measured user a chat
history (through ``submit_message``), imported statements with their logs, a
suggested merge, a budget and stored passwords, runs ``ANALYZE``, then requests
each page with Django's test client (the whole request: middleware, view,
queries, template) and prints the median and 95th percentile server time, cold
(report cache cleared before each request) and warm, with the number of
queries. The target is 50 ms per page. The database is dropped at the end.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
from decimal import Decimal

BENCH_DB = os.environ.get("EXPENSE_AI_BENCH_DBNAME", "bench_ea_pages")
os.environ["EXPENSE_AI_TEST_DBNAME"] = BENCH_DB
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.cache import caches  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import (  # noqa: E402
    CaptureQueriesContext,
    setup_databases,
    setup_test_environment,
    teardown_databases,
)
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from django_expense_ai.budgets import apply_template  # noqa: E402
from django_expense_ai.chat import submit_message  # noqa: E402
from django_expense_ai.models import (  # noqa: E402
    Account,
    BudgetTemplate,
    Category,
    Group,
    GroupMember,
    StatementMerge,
    StatementPassword,
)
from django_expense_ai.statements import import_statement  # noqa: E402

USERS = 50
TARGET_MS = 50.0
COLUMNS = (
    "user_id", "account_id", "date", "amount", "currency", "description", "merchant", "notes",
    "category_id", "source", "bank_id", "import_fingerprint", "is_reimbursable", "is_recurring",
    "created_at", "updated_at", "expense_classification", "exclude_from_totals", "exclusion_overridden",
)


def load(rows: int) -> list[int]:
    """Users, accounts and ``rows`` transactions over the last 12 months; returns the user ids."""
    user_model = get_user_model()
    user_model.objects.bulk_create([user_model(username=f"bench{i}", password="!") for i in range(USERS)])
    users = list(user_model.objects.order_by("pk").values_list("pk", flat=True))
    accounts = {uid: Account.objects.create(user_id=uid, name="Checking", is_default=True).pk for uid in users}
    categories = list(Category.objects.filter(user__isnull=True).values_list("pk", flat=True))
    rng = random.Random(2026)
    today = timezone.localdate()
    now = timezone.now()
    start = time.perf_counter()
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY finance_transactions ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for i in range(rows):
                uid = users[i % USERS]
                cents = rng.randrange(100, 50_000)
                amount = Decimal(cents if rng.random() < 0.05 else -cents).scaleb(-2)
                copy.write_row((
                    uid, accounts[uid], today - dt.timedelta(days=rng.randrange(365)), amount, "USD",
                    f"bench {i}", "", "", rng.choice(categories), "manual", "", "", False, False,
                    now, now, "regular_monthly", False, False,
                ))
    print(f"loaded {rows:,} transactions for {USERS} users in {time.perf_counter() - start:.1f} s")
    return users


def _csv(month: int, reword: bool) -> bytes:
    lines = ["Date,Description,Amount"]
    for i in range(25):
        text = f"REWORDED {i} *{month}" if reword and i % 5 == 2 else f"Card payment {month} shop {i}"
        lines.append(f"2024-{month:02d}-{i + 1:02d},{text},-{10 + i}.{i:02d}")
    return ("\n".join(lines) + "\n").encode()


def furnish(user, friend) -> None:
    """What the pages list for the measured user: chat, statements, a merge, a budget, passwords."""
    group = Group.objects.create(name="Flat", created_by=user)
    for member in (user, friend):
        GroupMember.objects.create(group=group, user=member)
    for i in range(60):
        submit_message(user, f"@{friend.username} ${10 + i} lunch {i} #dining")
    for month in range(1, 11):
        import_statement(user, _csv(month, False), filename=f"2024-{month:02d}.csv")
    import_statement(user, _csv(1, True), filename="2024-01-again.csv")
    template = BudgetTemplate.objects.filter(is_system=True).order_by("name").first()
    apply_template(template, user, monthly_income=Decimal("5200"), start_date=timezone.localdate().replace(day=1))
    for i in range(5):
        entry = StatementPassword(user=user, password_hint=f"hint {i}", file_pattern=rf"bank{i}_\d+\.pdf")
        entry.set_password("pw")
        entry.save()


def measure(client: Client, url: str, runs: int, *, cold: bool) -> tuple[float, float, float, int]:
    """Median and 95th percentile wall time, median CPU time of this process (ms), and queries."""
    timings, cpu = [], []
    queries = 0
    for _ in range(runs + 1):
        if cold:
            caches["default"].clear()
        with CaptureQueriesContext(connection) as captured:
            start, start_cpu = time.perf_counter(), time.process_time()
            response = client.get(url)
            elapsed = (time.perf_counter() - start) * 1000
            used = (time.process_time() - start_cpu) * 1000
        assert response.status_code in (200, 302), (url, response.status_code)
        timings.append(elapsed)
        cpu.append(used)
        queries = len(captured)
    timings = sorted(timings[1:])  # the first request warms the connection
    p95 = timings[min(len(timings) - 1, int(len(timings) * 0.95))]
    return statistics.median(timings), p95, statistics.median(cpu[1:]), queries


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=340_000)
    parser.add_argument("--runs", type=int, default=25)
    parser.add_argument("--show-queries", metavar="PAGE", help="print each query's time for one page (cold)")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        print("This benchmark needs PostgreSQL: set EXPENSE_AI_TEST_DB=postgres.", file=sys.stderr)
        return 2
    setup_test_environment()  # ALLOWED_HOSTS for the test client's "testserver"
    old_config = setup_databases(verbosity=1, interactive=False)
    try:
        users = load(args.rows)
        user_model = get_user_model()
        user, friend = user_model.objects.get(pk=users[7]), user_model.objects.get(pk=users[8])
        start = time.perf_counter()
        furnish(user, friend)
        print(f"furnished user #{user.pk} (60 chat messages, 11 statements, a merge, a budget) "
              f"in {time.perf_counter() - start:.1f} s")
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        own = user.expense_ai_transactions.count() if hasattr(user, "expense_ai_transactions") else None
        merge = StatementMerge.objects.get(merged_by=user)
        client = Client()
        client.force_login(user)
        pages = [
            # A redirect that runs no query of ours: the floor every page pays (middleware, session, user).
            ("baseline (redirect)", reverse("expense_ai:home")),
            ("chat", reverse("expense_ai:chat")),
            ("chat history", reverse("expense_ai:chat_history") + "?before=1000000000"),
            ("statements", reverse("expense_ai:statements")),
            ("statement upload", reverse("expense_ai:statement_upload")),
            ("statement detail", reverse("expense_ai:statement_detail", args=[merge.primary_file_id])),
            ("statement progress", reverse("expense_ai:statement_progress", args=[merge.primary_file_id])),
            ("merges", reverse("expense_ai:merges")),
            ("merge review", reverse("expense_ai:merge_review", args=[merge.pk])),
            ("budgets", reverse("expense_ai:budgets")),
            ("settings", reverse("expense_ai:settings")),
        ]
        print()
        print(f"server time per page, {args.rows:,} transactions "
              f"({own if own is not None else args.rows // USERS:,} of the user's own), {args.runs} runs:")
        print("  (cold: the report cache cleared before each request; CPU: this process only, without the")
        print("   database server's time; wall time on a busy machine includes waiting for a core)")
        print(f"  {'page':20} {'cold median':>12} {'cold p95':>9} {'cold CPU':>9} {'warm median':>12} {'queries':>8}")
        worst = 0.0
        for name, url in pages:
            cold, cold_p95, cold_cpu, queries = measure(client, url, args.runs, cold=True)
            warm, _, _, _ = measure(client, url, args.runs, cold=False)
            if not name.startswith("baseline"):
                worst = max(worst, cold)
            flag = "" if cold <= TARGET_MS else "  OVER TARGET"
            print(f"  {name:20} {cold:9.1f} ms {cold_p95:6.1f} ms {cold_cpu:6.1f} ms {warm:9.1f} ms "
                  f"{queries:8d}{flag}")
        for name, url in pages:
            if name == args.show_queries:
                caches["default"].clear()
                with CaptureQueriesContext(connection) as captured:
                    client.get(url)
                print(f"\nqueries of {name} (cold):")
                for query in captured.captured_queries:
                    print(f"  {float(query['time']) * 1000:7.1f} ms  {query['sql'][:160]}")
        print(f"\nslowest page (cold median): {worst:.1f} ms; target {TARGET_MS:.0f} ms: "
              f"{'met' if worst <= TARGET_MS else 'MISSED'}; load average now "
              f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}")
        return 0
    finally:
        teardown_databases(old_config, verbosity=1)


if __name__ == "__main__":
    sys.exit(main())
