"""Benchmark the REST API's transaction list on 340,000 transactions (PostgreSQL).

Run from the repository root::

    EXPENSE_AI_TEST_DB=postgres PYTHONPATH=src:. DJANGO_SETTINGS_MODULE=tests.settings \\
        .venv/bin/python benchmarks/api.py [--rows 340000] [--runs 25]

It creates its own database (``bench_ea_api``, or ``EXPENSE_AI_BENCH_DBNAME``)
with Django's test-database machinery (the shipped migrations and indexes),
loads about 50 users' transactions over a year with ``COPY`` (one in seven split
with another user, with a mention), runs ``ANALYZE``, then times whole
requests through Django's handler (authentication forced, so no session
lookup): the first page of ``GET /api/expense-ai/transactions/`` (50 rows with
splits, mentions, account and category), the next page by its cursor, and a
filtered page (one month, one account, a text search). It prints the median
server time, the number of queries per request and the plan of the page
query. The target is 30 ms for the first page. The database is dropped at
the end, also after an error.
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

BENCH_DB = os.environ.get("EXPENSE_AI_BENCH_DBNAME", "bench_ea_api")
os.environ["EXPENSE_AI_TEST_DBNAME"] = BENCH_DB
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import (  # noqa: E402
    CaptureQueriesContext,
    setup_databases,
    setup_test_environment,
    teardown_databases,
)
from rest_framework.test import APIClient  # noqa: E402

from django_expense_ai.models import Account, Category, Transaction  # noqa: E402

USERS = 50
YEAR = 2025
URL = "/api/expense-ai/transactions/"
COLUMNS = (
    "user_id", "account_id", "date", "amount", "currency", "description", "merchant", "notes",
    "category_id", "source", "bank_id", "import_fingerprint", "is_reimbursable", "is_recurring",
    "created_at", "updated_at", "expense_classification", "exclude_from_totals", "exclusion_overridden",
)
WORDS = ("coffee", "grocer", "rent", "fuel", "pharmacy", "books", "cinema", "taxi", "bakery", "gym")


def load(rows: int) -> list[int]:
    """Users, accounts, categories, ``rows`` transactions, splits and mentions; returns the user ids."""
    user_model = get_user_model()
    user_model.objects.bulk_create([user_model(username=f"bench{i}", password="!") for i in range(USERS)])
    users = list(user_model.objects.order_by("pk").values_list("pk", flat=True))
    accounts = {uid: Account.objects.create(user_id=uid, name="Checking").pk for uid in users}
    categories = list(Category.objects.filter(user__isnull=True).values_list("pk", flat=True)[:10])
    rng = random.Random(2025)
    now = dt.datetime.now(dt.timezone.utc)
    start = time.perf_counter()
    with connection.cursor() as cursor:
        raw = cursor.cursor  # the psycopg cursor, for COPY
        with raw.copy(f"COPY finance_transactions ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for i in range(rows):
                uid = users[i % USERS]
                day = dt.date(YEAR, 1, 1) + dt.timedelta(days=rng.randrange(365))
                cents = rng.randrange(100, 50_000)
                amount = Decimal(cents if rng.random() < 0.05 else -cents).scaleb(-2)
                copy.write_row((
                    uid, accounts[uid], day, amount, "USD", f"{rng.choice(WORDS)} {i}", "", "",
                    rng.choice(categories), "manual", "", "", False, False, now, now, "regular_monthly",
                    False, False,
                ))
        # One in seven transactions split half and half with the next user, who is also mentioned.
        cursor.execute(
            """
            INSERT INTO finance_transaction_splits
                (transaction_id, participant_id, amount, is_settled, created_at, split_method, split_value)
            SELECT t.id, p.pid, abs(t.amount) / 2, false, now(), 'equal', 0
            FROM finance_transactions t
            CROSS JOIN LATERAL (VALUES (t.user_id),
                ((SELECT min(u.id) FROM auth_user u WHERE u.id > t.user_id))) AS p(pid)
            WHERE mod(t.id, 7) = 0 AND p.pid IS NOT NULL
            """
        )
        cursor.execute(
            """
            INSERT INTO finance_transaction_mentions
                (transaction_id, created_by_id, mention_type, mentioned_user_id, mentioned_text, created_at)
            SELECT s.transaction_id, t.user_id, 'user', s.participant_id, '@friend', now()
            FROM finance_transaction_splits s JOIN finance_transactions t ON t.id = s.transaction_id
            WHERE s.participant_id <> t.user_id
            """
        )
        cursor.execute("ANALYZE")
    print(f"loaded {rows:,} transactions for {USERS} users in {time.perf_counter() - start:.1f} s")
    return users


def timed(client: APIClient, url: str, params: dict | None, runs: int, verbose: bool = False) -> tuple[float, int, dict]:
    client.get(url, params)  # warm
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(url, params)
        timings.append((time.perf_counter() - start) * 1000)
    assert response.status_code == 200, response.content[:500]
    with CaptureQueriesContext(connection) as ctx:
        start = time.perf_counter()
        client.get(url, params)
        total = (time.perf_counter() - start) * 1000
    if verbose:
        sql_ms = sum(float(q["time"]) for q in ctx.captured_queries) * 1000
        print(f"    {url} {params or ''}: {total:.1f} ms, of which SQL {sql_ms:.1f} ms:")
        for q in ctx.captured_queries:
            print(f"      {float(q['time']) * 1000:7.2f} ms  {q['sql'][:110]}")
    return statistics.median(timings), len(ctx.captured_queries), response.json()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=340_000)
    parser.add_argument("--runs", type=int, default=25)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        print("This benchmark needs PostgreSQL: set EXPENSE_AI_TEST_DB=postgres.", file=sys.stderr)
        return 2
    setup_test_environment()
    old_config = setup_databases(verbosity=1, interactive=False)
    try:
        users = load(args.rows)
        user = get_user_model().objects.get(pk=users[7])
        client = APIClient()
        client.force_authenticate(user)
        mine = Transaction.objects.filter(user=user).count()
        print(f"user {user.pk}: {mine:,} own transactions")

        first_ms, first_q, page = timed(client, URL, {"page_size": 50}, args.runs, verbose=True)
        rows = page["results"]
        with_splits = sum(1 for row in rows if row["splits"])
        next_ms, next_q, _ = timed(client, page["next"], None, args.runs)
        account = Account.objects.get(user=user).pk
        filters = {"date_from": f"{YEAR}-06-01", "date_to": f"{YEAR}-06-30", "account": account, "q": "coffee"}
        filtered_ms, filtered_q, filtered = timed(client, URL, filters, args.runs, verbose=True)

        print()
        print(f"GET {URL}, median of {args.runs} requests, {args.rows:,} transactions:")
        print(f"  first page (50 rows, {with_splits} with splits)  {first_ms:7.2f} ms  {first_q} queries  "
              f"(target <= 30 ms: {'met' if first_ms <= 30 else 'MISSED'})")
        print(f"  next page by cursor                  {next_ms:7.2f} ms  {next_q} queries")
        print(f"  one month + account + q=coffee ({len(filtered['results'])} rows) {filtered_ms:7.2f} ms  "
              f"{filtered_q} queries")
        print()
        names = ("own", "split with the user", "in the user's groups")
        for name, part in zip(names, Transaction.objects.for_user_parts(user), strict=True):
            page_query = part.select_related("account", "category").order_by("-date", "-id")[:51]
            print(f"EXPLAIN ANALYZE of the page query, part {name!r}:")
            print(page_query.explain(analyze=True))
            print()
        return 0
    finally:
        teardown_databases(old_config, verbosity=1)


if __name__ == "__main__":
    sys.exit(main())
