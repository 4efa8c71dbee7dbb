"""Benchmark: rotate 100,000 stored statement passwords to a new key, then resume an interrupted run.

Run from the repository root::

    EXPENSE_AI_TEST_DB=postgres PYTHONPATH=src:. DJANGO_SETTINGS_MODULE=tests.settings \\
        .venv/bin/python benchmarks/rotation.py [--rows 100000] [--batch-size 2000]

It creates its own database (``bench_ea_rotation`` unless
``EXPENSE_AI_TEST_DBNAME`` says otherwise) with the real migrations, and drops
it afterwards, so it never touches another test run's database. Target: the
100,000-row rotation under 60 s.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

# A database of its own: other runs share the server and use other names.
os.environ.setdefault("EXPENSE_AI_TEST_DBNAME", "bench_ea_rotation")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django  # noqa: E402

django.setup()

from cryptography.fernet import Fernet  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import override_settings, setup_databases, teardown_databases  # noqa: E402

from django_expense_ai import crypto  # noqa: E402
from django_expense_ai.maintenance.rotation import rotate_secrets  # noqa: E402
from django_expense_ai.models import StatementPassword  # noqa: E402


class Interrupted(Exception):
    """Raised from the progress output to stop a run part-way, like Ctrl-C between batches."""


class StopAfter:
    """A stdout that interrupts the run once ``limit`` rows have been committed."""

    def __init__(self, limit: int) -> None:
        self.limit = limit

    def write(self, text: str) -> None:
        if "StatementPassword:" in text and "rows checked" in text:
            checked = int(text.split(":", 1)[1].split("rows checked")[0])
            if checked >= self.limit:
                raise Interrupted(checked)


def count_current() -> int:
    """Rows whose raw token is on the newest key (read past the model)."""
    tokens = StatementPassword._base_manager.values_list("encrypted_password", flat=True).iterator(chunk_size=5000)
    return sum(1 for token in tokens if crypto.is_current(token))


def populate(rows: int, key: str) -> float:
    user_model = get_user_model()
    users = user_model.objects.bulk_create([user_model(username=f"bench{i}") for i in range(100)])
    started = time.perf_counter()
    with override_settings(STATEMENT_PASSWORD_KEY=[key]):
        objs = []
        for i in range(rows):
            pw = StatementPassword(user=users[i % len(users)], password_hint=f"hint {i}")
            pw.set_password(f"statement-password-{i:06d}")
            objs.append(pw)
    StatementPassword.objects.bulk_create(objs, batch_size=5000)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--batch-size", type=int, default=None, help='default EXPENSE_AI["BATCH_SIZE"]')
    args = parser.parse_args()

    k1, k2, k3 = (Fernet.generate_key().decode() for _ in range(3))
    old_config = setup_databases(verbosity=0, interactive=False)
    try:
        print(f"database: {connection.vendor} {connection.settings_dict['NAME']}, rows: {args.rows:,}")
        seconds = populate(args.rows, k1)
        print(f"populated {args.rows:,} rows encrypted with the old key in {seconds:.1f} s")

        with override_settings(STATEMENT_PASSWORD_KEY=[k2, k1]):
            started = time.perf_counter()
            report = rotate_secrets(batch_size=args.batch_size)
            elapsed = time.perf_counter() - started
            print(
                f"full rotation: {report.rotated:,} rotated, {report.current:,} already current, "
                f"{report.unreadable} unreadable in {elapsed:.1f} s = {report.rotated / elapsed:,.0f} rows/s "
                f"({'within' if elapsed < 60 else 'OVER'} the 60 s target)"
            )
            assert count_current() == args.rows, "some rows are not on the new key"
            started = time.perf_counter()
            again = rotate_secrets(batch_size=args.batch_size)
            print(
                f"re-run: {again.rotated:,} rotated, {again.current:,} already current "
                f"in {time.perf_counter() - started:.1f} s"
            )

        # Interruption: rotate to a third key, stop half-way, then run again.
        with override_settings(STATEMENT_PASSWORD_KEY=[k3, k2, k1]):
            started = time.perf_counter()
            try:
                rotate_secrets(batch_size=args.batch_size, stdout=StopAfter(args.rows // 2), progress=True)
            except Interrupted as stop:
                print(
                    f"interrupted run: stopped after {stop.args[0]:,} rows committed "
                    f"({time.perf_counter() - started:.1f} s); on the newest key now: {count_current():,}"
                )
            started = time.perf_counter()
            resumed = rotate_secrets(batch_size=args.batch_size)
            print(
                f"second run: {resumed.rotated:,} rotated, {resumed.current:,} already current, "
                f"{resumed.unreadable} unreadable in {time.perf_counter() - started:.1f} s; "
                f"on the newest key now: {count_current():,} of {args.rows:,}"
            )
        with override_settings(STATEMENT_PASSWORD_KEY=[k3]):
            sample = StatementPassword.objects.order_by("pk")[args.rows - 1]
            assert sample.get_password() == f"statement-password-{args.rows - 1:06d}"
            print("old keys dropped: rows still read with the newest key alone")
    finally:
        teardown_databases(old_config, verbosity=0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
