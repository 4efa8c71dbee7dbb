"""The shipped migration chain: no drift, reversible, no row lost, swapped and bare hosts."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from .dbtools import scratch_database, vendor_env_name

ROOT = Path(__file__).resolve().parents[1]
FIRST = [("expense_ai", "0001_initial")]


@pytest.mark.django_db
def test_no_missing_migrations():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def _latest():
    executor = MigrationExecutor(connection)
    return [key for key in executor.loader.graph.leaf_nodes() if key[0] == "expense_ai"]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    if any(name is None for _app, name in targets):
        return None
    return executor.loader.project_state(targets).apps


TABLES_1_0 = ["Account", "Category", "Group", "GroupMember", "UploadedFile", "Transaction",
              "TransactionSplit", "Budget", "AISettings", "UserPreferences"]


def _counts(apps):
    return {name: apps.get_model("expense_ai", name).objects.count() for name in TABLES_1_0}


@pytest.mark.django_db(transaction=True)
def test_chain_forward_backward_forward_keeps_every_row(django_user_model):
    apps = _migrate(FIRST)
    User = apps.get_model(*django_user_model._meta.label.split("."))
    m = {name: apps.get_model("expense_ai", name) for name in TABLES_1_0}
    users = [User.objects.create(username=f"u{i}") for i in range(3)]
    acct = m["Account"].objects.create(user_id=users[0].pk, name="Checking", currency="USD")
    cat = m["Category"].objects.create(user_id=users[0].pk, key="charity", name="Charity")
    grp = m["Group"].objects.create(name="Flat", created_by_id=users[0].pk)
    for u in users:
        m["GroupMember"].objects.create(group=grp, user_id=u.pk)
    upload = m["UploadedFile"].objects.create(user_id=users[0].pk, filename="s.csv", sha256="ab" * 32)
    for i in range(40):
        tx = m["Transaction"].objects.create(
            user_id=users[0].pk, account=acct, date=dt.date(2025, 1, 1) + dt.timedelta(days=i),
            amount=Decimal("-30.00") - i, currency="USD", description=f"row {i}",
            category=cat if i % 5 == 0 else None, uploaded_file=upload, is_reimbursable=(i % 7 == 0))
        for u in users:
            m["TransactionSplit"].objects.create(transaction=tx, participant_id=u.pk, amount=Decimal("10.00"))
    m["Budget"].objects.create(user_id=users[0].pk, name="Jan", start_date=dt.date(2025, 1, 1),
                               end_date=dt.date(2025, 1, 31), amount=Decimal("1000"), currency="USD")
    m["AISettings"].objects.create(user_id=users[0].pk)
    m["UserPreferences"].objects.create(user_id=users[0].pk)
    before = _counts(apps)

    latest = _migrate(_latest())
    assert _counts(latest) == before
    back = _migrate(FIRST)
    assert _counts(back) == before
    again = _migrate(_latest())
    assert _counts(again) == before
    tx_model = again.get_model("expense_ai", "Transaction")
    assert tx_model.objects.filter(expense_classification="reimbursable").count() == 6
    assert tx_model.objects.filter(expense_classification="charity").exists()


@pytest.mark.django_db(transaction=True)
def test_chain_goes_to_zero_and_back_when_empty():
    _migrate([("expense_ai", None)])
    tables = set(connection.introspection.table_names())
    assert "finance_transactions" not in tables
    _migrate(_latest())
    assert "finance_transactions" in set(connection.introspection.table_names())
    call_command("expense_ai_load_currencies", verbosity=0)


def _run(cmd, env, cwd):
    result = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"{cmd}\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.mark.django_db(transaction=True)
def test_example_project_with_every_model_swapped_migrates_from_empty():
    """Every host model swapped: migrate up from an empty database, demo data, then back to zero."""
    with scratch_database("ea_example") as (vendor, name):
        env = dict(os.environ, EXPENSE_AI_DEMO_DB=vendor_env_name(vendor), EXPENSE_AI_DEMO_DBNAME=name,
                   PYTHONPATH=f"{ROOT / 'src'}")
        env.pop("DJANGO_SETTINGS_MODULE", None)
        from cryptography.fernet import Fernet

        env["STATEMENT_PASSWORD_KEY"] = Fernet.generate_key().decode()
        manage = [sys.executable, "manage.py"]
        cwd = ROOT / "example_project"
        _run(manage + ["migrate", "--noinput"], env, cwd)
        _run(manage + ["makemigrations", "--check", "--dry-run"], env, cwd)
        _run(manage + ["check"], env, cwd)
        out = _run(manage + ["load_demo_data"], env, cwd)
        assert "demo" in out
        out = _run(manage + ["shell", "-c",
                             "from reference.models import CurrencyInfo as C; "
                             "from django_expense_ai.models import Transaction as T; "
                             "print(C.objects.get(code='KWD').minor_units, T.objects.count())"], env, cwd)
        units, count = out.strip().splitlines()[-1].split()
        assert units == "3" and int(count) > 5
        _run(manage + ["migrate", "expense_ai", "0001", "--noinput"], env, cwd)
        _run(manage + ["migrate", "--noinput"], env, cwd)
