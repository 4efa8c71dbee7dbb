"""Helpers for tests that need a whole extra database on the server under test."""

from __future__ import annotations

import contextlib
import os
import uuid

from django.db import connection


@contextlib.contextmanager
def scratch_database(prefix: str = "ea_scratch"):
    """Create an empty database on the current server; yields (vendor, name); drops it after.

    For SQLite yields a temporary file path instead.
    """
    vendor = connection.vendor
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    if vendor == "sqlite":
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            yield vendor, os.path.join(tmp, f"{name}.sqlite3")
        return
    quoted = connection.ops.quote_name(name)
    with connection._nodb_cursor() as cursor:
        cursor.execute(f"CREATE DATABASE {quoted}")
    try:
        yield vendor, name
    finally:
        with connection._nodb_cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {quoted}")


def vendor_env_name(vendor: str) -> str:
    return {"sqlite": "sqlite", "postgresql": "postgres", "mysql": "mariadb"}[vendor]
