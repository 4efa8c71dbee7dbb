"""Categories from history: accuracy on a realistic synthetic history, and speed.

Pure part (no database)::

    PYTHONPATH=src:. python benchmarks/categorize.py

builds the seeded history of ``tests/categorize_data.py`` (2,000 categorised
transactions over 25 categories and 150 merchants, with processor prefixes,
store numbers, places, dates, references and a third cut at a column width),
holds out 20% and prints top-1 accuracy on held-out rows of merchants the
user knows (target >= 95%) and on 400 rows of 100 merchants the user never
categorised, next to the most-frequent-category baseline; with and without
the classifier; then the time to train on 50,000 transactions (target <= 5 s)
and to suggest for a 1,000-row statement (target <= 100 ms).

With ``--db`` (``DJANGO_SETTINGS_MODULE=tests.settings``; the database of
``EXPENSE_AI_TEST_DB``, created as ``bench_ea_categorize`` and dropped at the
end) the same through the service: history read from the database, then
``suggest_categories`` for 1,000 rows with the categorizer kept (two queries).
"""

from __future__ import annotations

import argparse
import collections
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests import categorize_data as data  # noqa: E402

from django_expense_ai.categorize import classifier as text_classifier  # noqa: E402
from django_expense_ai.categorize.core import Categorizer, HistoryRow  # noqa: E402


def _rows(rows):
    return [HistoryRow(r.description, r.amount, r.category) for r in rows]


def _score(categorizer, rows, threshold=0.8):
    guesses = categorizer.suggest_many([(r.description, r.amount, None) for r in rows])
    right = sum(1 for g, r in zip(guesses, rows, strict=True) if g and g.category == r.category)
    answered = sum(g is not None for g in guesses)
    sure = [(g, r) for g, r in zip(guesses, rows, strict=True) if g and g.confidence >= threshold]
    sure_right = sum(g.category == r.category for g, r in sure)
    return right / len(rows), answered, len(sure), sure_right


def accuracy() -> None:
    train, test = data.split_known(data.history(2000))
    unseen = data.history(400, seed=8, pool=data.merchants()[1])
    commonest = collections.Counter(r.category for r in train).most_common(1)[0][0]
    baseline_known = sum(r.category == commonest for r in test) / len(test)
    baseline_unseen = sum(r.category == commonest for r in unseen) / len(unseen)
    print(f"history: {len(train)} training rows, {len(test)} held-out rows of known merchants, "
          f"{len(unseen)} rows of {len({r.merchant for r in unseen})} unseen merchants; "
          f"{len(data.CATEGORIES)} categories")
    modes = [("payee memory only", False)]
    if text_classifier.available():
        modes.append(("memory + classifier", True))
    else:
        print("scikit-learn is not installed: the classifier rows are missing")
    for label, use in modes:
        categorizer = Categorizer.train(_rows(train), use_classifier=use)
        known_acc, known_answered, known_sure, known_sure_right = _score(categorizer, test)
        new_acc, new_answered, new_sure, new_sure_right = _score(categorizer, unseen)
        print(f"  {label:22s} known merchants top-1 {known_acc:6.1%} (answered {known_answered}/{len(test)}, "
              f"applied at >=0.8: {known_sure_right}/{known_sure} right) | unseen merchants top-1 {new_acc:6.1%} "
              f"(answered {new_answered}/{len(unseen)}, applied at >=0.8: {new_sure_right}/{new_sure} right)")
    print(f"  {'most-frequent baseline':22s} known merchants top-1 {baseline_known:6.1%} | "
          f"unseen merchants top-1 {baseline_unseen:6.1%}")


def speed(rounds: int) -> None:
    big = _rows(data.history(50_000, seed=9))
    statements = {
        "a statement of known payees": [(r.description, r.amount, None) for r in _statement(known=True)],
        "one of payees never seen": [(r.description, r.amount, None) for r in _statement(known=False)],
    }
    Categorizer.train(big[:500])  # import scikit-learn once, outside the timings
    for label, use in (("payee memory only", False), ("memory + classifier", True)):
        if use and not text_classifier.available():
            continue
        trains, suggests = [], {name: [] for name in statements}
        for _ in range(rounds):
            started = time.perf_counter()
            categorizer = Categorizer.train(big, use_classifier=use)
            trains.append(time.perf_counter() - started)
            for name, statement in statements.items():
                started = time.perf_counter()
                categorizer.suggest_many(statement)
                suggests[name].append(time.perf_counter() - started)
        timings = "; ".join(
            f"{name}: best {min(t) * 1000:.1f} ms, median {statistics.median(t) * 1000:.1f} ms"
            for name, t in suggests.items()
        )
        print(f"  {label:22s} train on 50,000: best {min(trains):.2f} s, median {statistics.median(trains):.2f} s "
              f"(target <= 5 s) | suggest 1,000 rows (target <= 100 ms): {timings}")


def _statement(*, known: bool) -> list:
    """1,000 rows of the 50,000-row history's merchants (known) or of merchants it never had."""
    known_pool, new_pool = data.merchants(9)
    return data.history(1000, seed=10, pool=known_pool if known else new_pool)


def through_the_database(rows: int) -> None:
    import os

    import django

    os.environ.setdefault("EXPENSE_AI_TEST_DBNAME", "bench_ea_categorize")
    django.setup()
    from django.db import connection
    from django.test.utils import (
        CaptureQueriesContext,
        setup_databases,
        setup_test_environment,
        teardown_databases,
    )

    setup_test_environment()
    old = setup_databases(verbosity=0, interactive=False)
    try:
        from django.contrib.auth import get_user_model

        from django_expense_ai.categorize.services import suggest_categories, train
        from django_expense_ai.models import Category, Transaction

        user = get_user_model().objects.create_user(username="bench", password="x")
        cats = {key: Category.objects.create(user=user, key=key, name=key.title()) for key in data.CATEGORIES}
        history = data.history(rows, seed=9)
        Transaction.objects.bulk_create(
            [Transaction(user=user, date=r.date, amount=r.amount, currency="USD", description=r.description,
                         category=cats[r.category]) for r in history],
            batch_size=2000,
        )
        started = time.perf_counter()
        summary = train(user)
        print(f"  database ({connection.vendor}): read and train on {summary['transactions']:,} rows "
              f"{time.perf_counter() - started:.2f} s")
        for known in (True, False):
            statement = [(r.description, r.amount) for r in _statement(known=known)]
            times = []
            for _ in range(5):
                with CaptureQueriesContext(connection) as queries:
                    started = time.perf_counter()
                    suggest_categories(user, statement)
                    times.append(time.perf_counter() - started)
            print(f"  suggest_categories for 1,000 rows of {'known' if known else 'never seen'} payees "
                  f"(kept categorizer): best {min(times) * 1000:.1f} ms, "
                  f"median {statistics.median(times) * 1000:.1f} ms, {len(queries)} queries")
    finally:
        teardown_databases(old, verbosity=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--db", action="store_true", help="also through the service on a real database")
    parser.add_argument("--db-rows", type=int, default=50_000)
    args = parser.parse_args()
    print("accuracy")
    accuracy()
    print("speed (pure core)")
    speed(args.rounds)
    if args.db:
        print("service")
        through_the_database(args.db_rows)


if __name__ == "__main__":
    main()
