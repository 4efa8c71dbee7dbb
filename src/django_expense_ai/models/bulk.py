"""Insert many new rows of one model at once: PostgreSQL ``COPY``, else ``bulk_create``.

A statement import creates thousands of transactions in one go. Django's
``bulk_create`` spends most of that time building one huge ``INSERT`` (SQL
text and parameter arrays); on PostgreSQL with psycopg 3, ``COPY ... FROM
STDIN`` streams the same values instead and is several times faster.

The fast path writes every column exactly as ``bulk_create`` would: each value
goes through the field's ``pre_save`` (so ``auto_now``/``auto_now_add`` stamp
the instances) and ``get_db_prep_save``. The differences, none visible in the
data: one timestamp is shared by all rows of a call (``bulk_create`` reads the
clock once per row), the primary keys are drawn from the table's sequence
before the ``COPY`` (so the instances get them without reading the rows back),
and no query is logged for the ``COPY`` itself. Like ``bulk_create`` it sends
no ``save`` signals.

Everything else (other databases, small batches, models or values the fast
path cannot write) goes through ``bulk_create``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any, TypeVar

from django.db import connections, models, router, transaction
from django.db.models import NOT_PROVIDED, Field, Model
from django.db.models.fields import AutoFieldMixin
from django.db.models.fields.mixins import FieldCacheMixin

from ..exceptions import InvalidArgument, UnexpectedField

__all__ = ["COPY_MIN_ROWS", "ORM_BATCH_SIZE", "insert_all", "instance_builder"]

M = TypeVar("M", bound=Model)

#: Below this many rows one ``INSERT ... RETURNING`` is as quick as the two
#: round trips of the fast path (draw ids, then ``COPY``): use ``bulk_create``.
COPY_MIN_ROWS = 100
#: ``bulk_create`` batch size: the backend may lower it (SQLite's variable
#: limit); larger batches would risk MySQL's ``max_allowed_packet`` (16 MB by default).
ORM_BATCH_SIZE = 5000

# Value types whose prepared form depends only on (type, value): safe to reuse
# for equal values. Decimal (1.5 == 1.50), float (0.0 == -0.0) and datetime
# (equal across time zones) are prepared each time.
_REUSABLE_TYPES = frozenset({str, int, bool, type(None), dt.date})
_MISSING = object()

# Django's own field classes, and the value types whose COPY text is the same
# before and after the field's get_db_prep_save: text stays text, a date a
# date, a finite Decimal the same Decimal, an int the same number (the
# PostgreSQL backend wraps it in psycopg's Int4/Int8, which COPY writes
# alike). Values of exactly these types skip the per-value preparation, two
# thirds of this module's Python time on a large import; anything else (a
# subclass, another type, a non-finite Decimal) is prepared as bulk_create does.
_PASSTHROUGH: dict[type[Field], tuple[type, ...]] = {
    models.CharField: (str,),
    models.TextField: (str,),
    models.DateField: (dt.date,),
    models.BooleanField: (bool,),
    models.DecimalField: (Decimal,),
    models.IntegerField: (int,),
    models.BigIntegerField: (int,),
    models.SmallIntegerField: (int,),
    models.PositiveIntegerField: (int,),
    models.PositiveSmallIntegerField: (int,),
    models.PositiveBigIntegerField: (int,),
    models.AutoField: (int,),
    models.BigAutoField: (int,),
}


def instance_builder(model: type[M], **common: Any) -> Callable[..., M]:
    """Return a function that builds unsaved ``model`` instances quickly.

    ``build(**values)`` returns what ``model(**common, **values)`` would, for
    keyword arguments that are field attribute names (``user_id``, not
    ``user``); the instance is created the way Django loads rows (positional
    values), which costs a third of keyword construction. Fields left out get
    their default, as with keyword construction.

    :returns: the builder.
    :raises UnexpectedField: (a ``TypeError``) a name in ``common`` (or, when building, in ``values``)
        is not a concrete field's attribute name.
    """
    fields = model._meta.concrete_fields
    position = {f.attname: i for i, f in enumerate(fields)}
    template: list[Any] = []
    callable_defaults: list[tuple[int, Field]] = []
    for i, f in enumerate(fields):
        if f.attname in common:
            template.append(common[f.attname])
        elif f.has_default() and callable(f.default):
            template.append(None)
            callable_defaults.append((i, f))  # a fresh value per instance, as keyword construction gives
        else:
            template.append(f.get_default())
    unknown = set(common) - set(position)
    if unknown:
        raise UnexpectedField(
            f"{model.__name__} has no field attribute(s) {', '.join(sorted(unknown))}; "
            "use the attnames of its concrete fields (account_id, not account)."
        )

    def build(**values: Any) -> M:
        row = template.copy()
        for i, f in callable_defaults:
            if f.attname not in values:
                row[i] = f.get_default()
        try:
            for name, value in values.items():
                row[position[name]] = value
        except KeyError as err:
            raise UnexpectedField(
                f"{model.__name__} has no field attribute {err.args[0]!r}; "
                "use the attnames of its concrete fields (account_id, not account)."
            ) from None
        return model(*row)

    return build


def insert_all(objs: Sequence[M], *, using: str | None = None) -> list[M]:
    """Insert new, unsaved instances of one model together, atomically.

    :param using: the database alias (default: the router's choice for writes).
    :returns: the instances, in order, with their primary keys set when the
        backend reports them (``bulk_create`` on a backend that cannot leaves
        them ``None``; the caller reads the rows back).
    :raises django.db.DatabaseError: the database refused a row; nothing was inserted.
    :raises InvalidArgument: the instances are not all of one model, or some are saved (a ``ValueError``).
    """
    objs = list(objs)
    if not objs:
        return []
    model = type(objs[0])
    if any(type(obj) is not model for obj in objs):
        raise InvalidArgument(
            f"insert_all takes instances of one model at a time, not {model.__name__} with others; call it once per model."
        )
    if any(not obj._state.adding for obj in objs):
        raise InvalidArgument(
            "insert_all only inserts new instances, and some were already saved; save changes to those with "
            "save() or bulk_update()."
        )
    alias = using or router.db_for_write(model)
    connection = connections[alias]
    if len(objs) >= COPY_MIN_ROWS and _copy_possible(connection):
        with transaction.atomic(using=alias, savepoint=False):
            if _copy_insert(model, objs, connection, alias):
                return objs
    return model._default_manager.using(alias).bulk_create(objs, batch_size=ORM_BATCH_SIZE)


def _copy_possible(connection: Any) -> bool:
    if connection.vendor != "postgresql":
        return False
    from django.db.backends.postgresql.psycopg_any import is_psycopg3

    return bool(is_psycopg3)


def _copy_insert(model: type[Model], objs: Sequence[Model], connection: Any, alias: str) -> bool:
    """Write ``objs`` with ``COPY``; False (nothing written) when it cannot."""
    opts = model._meta
    if opts.parents or opts.proxy:  # multi-table rows span several tables: leave them to the ORM
        return False
    fields = [f for f in opts.concrete_fields if not getattr(f, "generated", False)]
    pk = opts.pk
    if pk is None or pk not in fields:
        return False
    relations = [f for f in fields if isinstance(f, FieldCacheMixin)]  # the concrete relations
    if any(f.is_cached(obj) for f in relations for obj in objs):
        return False  # related objects were assigned: bulk_create checks them as save() does
    missing_pk = [obj for obj in objs if obj.pk is None]
    if missing_pk and (len(missing_pk) != len(objs) or not isinstance(pk, AutoFieldMixin)):
        return False

    table = connection.ops.quote_name(opts.db_table)
    columns: list[list[Any]] = []
    written: list[Field] = []
    for f in fields:
        if f is pk and missing_pk:
            columns.append([])  # filled below, once every other value is known to be writable
            written.append(f)
            continue
        values = _prepared_column(f, objs, connection)
        if values is None:
            return False
        if f.null and f.db_default is NOT_PROVIDED and values[0] is None and values.count(None) == len(values):
            continue  # all NULL, and NULL is what the column gets when left out: less to send and parse
        columns.append(values)
        written.append(f)
    fields = written

    with connection.cursor() as cursor:
        if missing_pk:
            assert pk.column is not None  # a concrete field's
            ids = _draw_ids(cursor, table, pk.column, len(objs))
            if ids is None:
                return False
            columns[fields.index(pk)] = ids
            for obj, pk_value in zip(objs, ids, strict=True):
                obj.pk = pk_value
        names = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        # The COPY ends (and the server reports a refused row) on leaving the block,
        # outside Django's cursor wrapper: map psycopg's errors to Django's here.
        with connection.wrap_database_errors, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in zip(*columns, strict=True):
                copy.write_row(row)
    for obj in objs:
        obj._state.adding = False
        obj._state.db = alias
    return True


def _prepared_column(f: Field, objs: Sequence[Model], connection: Any) -> list[Any] | None:
    """One column's database values, as ``bulk_create`` prepares them; None if COPY cannot take one."""
    attname = f.attname
    plain_pre_save = type(f).pre_save is Field.pre_save
    stamped = getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
    if stamped:
        stamp = f.pre_save(objs[0], add=True)  # read the clock once; every row gets it
        for obj in objs:
            setattr(obj, attname, stamp)
    if plain_pre_save or stamped:
        raws = [getattr(obj, attname) for obj in objs]
    else:
        raws = [f.pre_save(obj, add=True) for obj in objs]
    if raws and len(set(map(id, raws))) == 1:
        # One object in every row (a shared constant, the stamp): most columns of an import.
        value = f.get_db_prep_save(raws[0], connection)
        return None if hasattr(value, "as_sql") else [value] * len(raws)
    passthrough = _passthrough_types(f)
    if passthrough:
        kinds = set(map(type, raws))
        if kinds <= {*passthrough, type(None)} and (
            Decimal not in kinds or all(raw is None or raw.is_finite() for raw in raws)
        ):
            return raws
    out: list[Any] = []
    reusable: dict[tuple[type, Any], Any] = {}
    last_raw: Any = _MISSING
    last: Any = None
    for raw in raws:
        if raw is last_raw:  # the same object as the row before (shared constants, the stamp)
            out.append(last)
            continue
        kind = type(raw)
        if kind in _REUSABLE_TYPES:
            key = (kind, raw)
            value = reusable.get(key, _MISSING)
            if value is _MISSING:
                value = reusable[key] = f.get_db_prep_save(raw, connection)
        else:
            value = f.get_db_prep_save(raw, connection)
        if hasattr(value, "as_sql"):  # an expression (e.g. DatabaseDefault): only SQL can say it
            return None
        out.append(value)
        last_raw, last = raw, value
    return out


def _passthrough_types(f: Field) -> tuple[type, ...]:
    """The value types ``f`` writes unchanged (see ``_PASSTHROUGH``); ``()`` for other fields."""
    if f.is_relation:
        # A foreign key writes what its target field writes.
        if not (type(f) is models.ForeignKey and not f.target_field.is_relation):
            return ()
        f = f.target_field
    return _PASSTHROUGH.get(type(f), ())


def _draw_ids(cursor: Any, quoted_table: str, column: str, count: int) -> list[int] | None:
    """``count`` new values of the table's id sequence, ascending; None without a sequence."""
    # The ORM's INSERT takes its ids from the same sequence (serial or identity column).
    # The sequence is looked up once (a materialised CTE): called per row, the catalog
    # lookup cost several times the nextval calls themselves.
    cursor.execute(
        "WITH s AS MATERIALIZED (SELECT pg_get_serial_sequence(%s, %s)::regclass AS seq) "
        "SELECT nextval(s.seq) FROM s, generate_series(1, %s)",
        [quoted_table, column, count],
    )
    ids = [value for (value,) in cursor.fetchall()]
    if len(ids) != count or any(value is None for value in ids):
        return None
    return sorted(ids)
