"""Insert new rows with SQL built once per model, for the hot paths that write a few rows per request.

The ORM compiles an ``INSERT`` afresh on every ``save()``/``bulk_create()``:
about 0.5 ms of CPU for a chat message and 0.8 ms for a transaction, more
than the database takes to run it. A chat submit writes three to five rows,
so :func:`insert` builds each statement once per (database, model, row
count, RETURNING) and only prepares the values per call, through the
fields' own ``pre_save``/``get_db_prep_save`` as the ORM does.

It covers what our models are: no parent models, an auto-increment primary
key not set yet, no ``db_default`` expression left for the database to fill.
Anything else goes through the ORM unchanged. Bulk statement imports have
their own path (:mod:`.statements.bulk`, PostgreSQL ``COPY``).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any, TypeVar

from django.db import connections, router
from django.db import transaction as db_transaction
from django.db.models import Model
from django.db.models.expressions import DatabaseDefault
from django.db.models.fields import AutoFieldMixin
from django.db.models.signals import post_save, pre_save

__all__ = ["insert"]

M = TypeVar("M", bound=Model)


def insert(objs: Sequence[M], *, signals: bool = True) -> list[M]:
    """Insert new instances of one model, as ``save()`` or ``bulk_create()`` would.

    :param signals: ``True``: one row per statement, ``pre_save``/``post_save``
        sent with the arguments ``Model.save_base`` sends, primary keys set
        (the ``save(force_insert=True)`` contract). ``False``: rows in batches
        the backend allows, no signals, primary keys set where the backend
        returns them from a multi-row insert (the ``bulk_create`` contract).
    :returns: the instances, in order.
    :raises django.db.DatabaseError: the database refused a row (in a
        transaction of the caller's, that transaction is marked for rollback).
    :raises ValueError: an unsaved related object is assigned (as the ORM raises).
    """
    objs = list(objs)
    if not objs:
        return objs
    model = type(objs[0])
    if not _plain(model, objs):
        if signals:
            for obj in objs:
                obj.save(force_insert=True)
            return objs
        return model._default_manager.bulk_create(objs)
    alias = router.db_for_write(model, instance=objs[0])
    connection = connections[alias]
    if signals:
        for obj in objs:
            _insert_batch([obj], alias, connection, signals=True)
        return objs
    fields = _insert_sql(alias, model, 1, False)[1]
    size = max(1, connection.ops.bulk_batch_size(fields, objs))
    for first in range(0, len(objs), size):
        _insert_batch(objs[first : first + size], alias, connection, signals=False)
    return objs


def _plain(model: type[Model], objs: list[Model]) -> bool:
    """True when the written-out INSERT says what the ORM's would (see the module docstring)."""
    meta = model._meta
    if meta.parents or meta.proxy or not isinstance(meta.pk, AutoFieldMixin):
        return False
    if any(type(obj) is not model or obj.pk is not None for obj in objs):
        return False
    return not any(
        isinstance(getattr(obj, f.attname), DatabaseDefault) for obj in objs for f in _db_default_fields(model)
    )


def _insert_batch(objs: list[Model], alias: str, connection: Any, *, signals: bool) -> None:
    model = type(objs[0])
    pk_field = model._meta.pk
    for obj in objs:
        # What save() and bulk_create() check first: no unsaved related object.
        obj._prepare_related_fields_for_save(operation_name="save" if signals else "bulk_create")
        if signals:
            pre_save.send(sender=model, instance=obj, raw=False, using=alias, update_fields=None)
    features = connection.features
    returning = features.can_return_columns_from_insert if signals else features.can_return_rows_from_bulk_insert
    sql, fields = _insert_sql(alias, model, len(objs), returning)
    # field.pre_save() stamps auto_now(_add) fields, as the ORM's INSERT does.
    params = [
        field.get_db_prep_save(field.pre_save(obj, add=True), connection=connection)
        for obj in objs
        for field in fields
    ]
    with db_transaction.mark_for_rollback_on_error(using=alias), connection.cursor() as cursor:
        cursor.execute(sql, params)
        if returning:
            keys = [key for (key,) in cursor.fetchall()]
        elif signals:
            keys = [connection.ops.last_insert_id(cursor, model._meta.db_table, pk_field.column)]
        else:
            keys = [None] * len(objs)
    for obj, key in zip(objs, keys, strict=True):
        if key is not None:
            setattr(obj, pk_field.attname, pk_field.to_python(key))
        obj._state.db = alias
        obj._state.adding = False
    if signals:
        post_save.send(sender=model, instance=objs[0], created=True, update_fields=None, raw=False, using=alias)


@functools.cache
def _db_default_fields(model: type[Model]) -> list[Any]:
    # Only these can hold the DatabaseDefault expression the ORM renders as DEFAULT.
    return [f for f in model._meta.concrete_fields if f.has_db_default()]


@functools.lru_cache(maxsize=128)
def _insert_sql(alias: str, model: type[Model], rows: int, returning: bool) -> tuple[str, list[Any]]:
    """``INSERT`` of ``rows`` rows of ``model`` (every concrete field but the auto key), and those fields."""
    connection = connections[alias]
    quote = connection.ops.quote_name
    meta = model._meta
    fields = [f for f in meta.local_concrete_fields if not f.generated and f is not meta.auto_field]
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
        f"VALUES {', '.join([row] * rows)}"
    )
    if returning:
        sql += " " + _returning_sql(connection, [meta.pk])
    return sql, fields


def _returning_sql(connection: Any, fields: list[Any]) -> str:
    """The backend's ``RETURNING`` clause (Django 6.0 renamed ``return_insert_columns``)."""
    ops = connection.ops
    method = getattr(ops, "returning_columns", None) or ops.return_insert_columns
    return method(fields)[0]
