"""Stored rows as plain JSON values and back: the one serialiser of model rows.

Two features keep rows outside their table and later put them back with the
same ids and timestamps: the archive (:mod:`..maintenance.archive`: chat
messages and processing logs in gzip JSON Lines) and statement merges
(:mod:`..statements.merges`: the transactions, splits and mentions a merge
removed, in its ``details``). Both write and read field values here, so each
type has one written form:

* dates, times and datetimes: ISO 8601 (an aware datetime with its offset);
* decimals and UUIDs: strings; binary data: base64; durations: seconds;
* foreign keys: the id they hold; JSON fields: as they are.

:func:`insert_as_stored` puts rows back as ``loaddata`` does: one raw save
per row, so ``auto_now`` timestamps are not stamped anew, the model's
``save()`` is not called (the values go in exactly as stored) and
``pre_save``/``post_save`` are sent with ``raw=True``.
"""

from __future__ import annotations

import base64
import datetime as dt
import uuid
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any, TypeVar

from django.db import models

from ..exceptions import UnarchivableValue

__all__ = ["encode", "field_value", "from_values", "insert_as_stored", "plain", "row_values", "stored_fields"]

M = TypeVar("M", bound=models.Model)

#: Values JSON writes itself (a JSON field's content is one of these).
_JSON_TYPES = (str, int, float, bool, type(None), dict, list)


def stored_fields(model: type[models.Model]) -> list[models.Field]:
    """The fields a row is written out and put back with: every concrete column
    except generated ones (the database computes those; they cannot be inserted)."""
    return [f for f in model._meta.concrete_fields if not getattr(f, "generated", False)]


def encode(value: Any) -> Any:
    """The written form of a field value JSON has no type for (``json.dumps(default=encode)``).

    :returns: a string for dates, times, datetimes, decimals, UUIDs and binary
        data (base64); seconds (a float) for a duration.
    :raises UnarchivableValue: any other type (also a ``TypeError``, as ``json`` raises).
    """
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    raise UnarchivableValue(
        f"Cannot store a value of type {type(value).__name__} as JSON: stored rows (the archive, a merge's "
        "removed transactions) hold dates, times, decimals, UUIDs, bytes and durations besides JSON's own "
        "types. Store the field as one of those, or leave its model out of the archive."
    )


def plain(value: Any) -> Any:
    """``value`` ready for a JSON column: as it is when JSON has its type, else :func:`encode`."""
    return value if isinstance(value, _JSON_TYPES) else encode(value)


def row_values(obj: models.Model) -> dict[str, Any]:
    """Every stored field of ``obj`` by attribute name (``"id"``, ``"user_id"``, ...), as plain values.

    :returns: a dict :func:`from_values` turns back into an equal instance.
    """
    return {f.attname: plain(getattr(obj, f.attname)) for f in stored_fields(type(obj))}


def field_value(field: models.Field, raw: Any) -> Any:
    """The Python value of ``field`` for ``raw``, its written form (see the module docstring).

    A foreign key's ``raw`` is the id it holds. JSON ``null`` in a JSON field
    that cannot be NULL becomes JSON ``null`` again (Python's ``None`` would be SQL NULL).

    :raises ValidationError: ``raw`` is not a value of the field's type.
    """
    if raw is None:
        if isinstance(field, models.JSONField) and not field.null:
            return models.Value(None, models.JSONField())
        return None
    if isinstance(field, models.ForeignObject):  # a stored relation: its target's value
        return field.target_field.to_python(raw)
    if isinstance(field, models.DurationField) and isinstance(raw, int | float):
        return dt.timedelta(seconds=raw)
    return field.to_python(raw)


def from_values(model: type[M], values: Mapping[str, Any]) -> M:
    """An unsaved ``model`` instance from :func:`row_values`' dict.

    Fields the dict lacks (added to the model since it was written) keep their defaults.
    """
    return model(**{f.attname: field_value(f, values[f.attname]) for f in stored_fields(model) if f.attname in values})


def insert_as_stored(objs: Iterable[models.Model], *, using: str | None = None) -> None:
    """Insert each row with the values it holds, ids and timestamps included (see the module docstring).

    Call it inside ``transaction.atomic``: a failing row leaves the earlier ones for the caller to roll back.

    :raises IntegrityError: an id or a unique value is taken.
    """
    for obj in objs:
        obj.save_base(using=using, raw=True, force_insert=True)
