"""Vendor-aware migration operations used by the shipped migrations.

No module-level import of ``django.contrib.postgres``: it needs psycopg, which
SQLite and MariaDB hosts do not have.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import migrations

if TYPE_CHECKING:
    from django.db.backends.base.schema import BaseDatabaseSchemaEditor
    from django.db.migrations.state import ProjectState


def _is_postgres(schema_editor: BaseDatabaseSchemaEditor) -> bool:
    return schema_editor.connection.vendor == "postgresql"


class SetLockTimeout(migrations.operations.base.Operation):
    """On PostgreSQL, ``SET LOCAL lock_timeout`` for the rest of this (atomic) migration.

    An ALTER TABLE waits for an ACCESS EXCLUSIVE lock; while it waits, every
    query queued behind it waits too. With a short timeout a long-running
    transaction makes the step fail fast, and re-running ``migrate`` retries.
    A no-op on other databases.
    """

    reduces_to_sql = True
    reversible = True

    def __init__(self, timeout: str = "5s") -> None:
        self.timeout = timeout

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        return (self.__class__.__qualname__, [self.timeout], {})

    def state_forwards(self, app_label: str, state: ProjectState) -> None:
        pass

    def _set(self, schema_editor: BaseDatabaseSchemaEditor) -> None:
        if _is_postgres(schema_editor):
            schema_editor.execute("SET LOCAL lock_timeout = %s" % schema_editor.quote_value(self.timeout))

    def database_forwards(
        self, app_label: str, schema_editor: BaseDatabaseSchemaEditor, from_state: ProjectState, to_state: ProjectState
    ) -> None:
        self._set(schema_editor)

    def database_backwards(
        self, app_label: str, schema_editor: BaseDatabaseSchemaEditor, from_state: ProjectState, to_state: ProjectState
    ) -> None:
        self._set(schema_editor)

    def describe(self) -> str:
        return f"Set lock_timeout to {self.timeout} on PostgreSQL"


class AddIndexConcurrently(migrations.AddIndex):
    """``AddIndex`` that builds without blocking writes on PostgreSQL.

    On PostgreSQL: drops an INVALID leftover of an interrupted concurrent
    build, then ``CREATE INDEX CONCURRENTLY IF NOT EXISTS`` — so re-running
    ``migrate`` is the retry. The migration holding it must be
    ``atomic = False``. Elsewhere it is the ordinary ``AddIndex``.
    """

    def describe(self) -> str:
        return super().describe() + " (concurrently on PostgreSQL)"

    def database_forwards(
        self, app_label: str, schema_editor: BaseDatabaseSchemaEditor, from_state: ProjectState, to_state: ProjectState
    ) -> None:
        if not _is_postgres(schema_editor):
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        model = to_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        self._drop_invalid(schema_editor)
        sql = str(self.index.create_sql(model, schema_editor, concurrently=True))
        sql = sql.replace("CREATE INDEX CONCURRENTLY", "CREATE INDEX CONCURRENTLY IF NOT EXISTS", 1)
        schema_editor.execute(sql, params=None)

    def database_backwards(
        self, app_label: str, schema_editor: BaseDatabaseSchemaEditor, from_state: ProjectState, to_state: ProjectState
    ) -> None:
        if not _is_postgres(schema_editor):
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        model = from_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        schema_editor.execute(
            "DROP INDEX CONCURRENTLY IF EXISTS %s" % schema_editor.quote_name(self.index.name), params=None
        )

    def _drop_invalid(self, schema_editor: BaseDatabaseSchemaEditor) -> None:
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(
                "SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                "WHERE c.relname = %s AND NOT i.indisvalid",
                [self.index.name],
            )
            invalid = cursor.fetchone() is not None
        if invalid:
            schema_editor.execute(
                "DROP INDEX CONCURRENTLY IF EXISTS %s" % schema_editor.quote_name(self.index.name), params=None
            )
