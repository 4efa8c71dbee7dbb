"""Archival: move old chat messages and processing logs to gzip JSON Lines, and back.

The spec's archival strategy: chat messages older than 6 months and statement
processing logs older than a year leave the database; **transactions are never
archived**. Only the models in :func:`archivable_models` can be archived or
restored, so an archive file can never write into any other table.

How a run works, batch by batch (``EXPENSE_AI["BATCH_SIZE"]`` rows, keyset by
primary key, one database transaction each):

1. lock the next batch of rows older than the cutoff (``SELECT … FOR UPDATE``
   where the database supports it), in primary-key order;
2. write them to ``<ARCHIVE_PREFIX>/<app_label.model>/<first pk>-<last pk>.jsonl.gz``
   in the storage ``ARCHIVE_STORAGE_ALIAS`` (a file of that name is replaced);
3. delete exactly those rows, then commit.

A crash after 2 and before 3 leaves the rows in the database and their file
in the storage; the next run writes the same rows again (to the same file when
the batch is the same, else to one whose range overlaps) and deletes them.
Restore skips rows whose primary key exists, so overlapping files never
duplicate a row.

Each line has the shape of Django's ``jsonl`` serializer — ``{"model":
"expense_ai.chatmessage", "pk": 7, "fields": {...}}`` — with every concrete
field: foreign keys as ids, JSON fields as they are, datetimes in ISO 8601
with their offset, decimals as strings, binary data in base64 (the values
:mod:`..models.rows` writes and reads for merges too). Rows that other
rows point at with ``on_delete=SET_NULL`` (a transaction's ``chat_message``)
also carry ``"links": {"expense_ai.transaction.chat_message": [ids]}``:
deleting the message sets those to NULL, and :func:`restore` sets them back.

On PostgreSQL (with ``USE_TZ``) the locking ``SELECT`` of step 1 also builds
each line: ``json_build_object`` over the columns, ``jsonb`` spliced in as
stored text, timestamps in ISO 8601 from ``to_json``, the links from a
correlated ``json_agg``. Python only joins and gzips the lines, so no JSON
value is decoded and encoded again. The text differs from the generic path's
only in whitespace, key order inside JSON fields and trailing zeros of
fractional seconds (``.3`` for ``.300000``); restore reads both the same.
Models with a field PostgreSQL cannot write exactly as Python does (floats,
binary, durations, fields that convert what they read) use the generic path.
"""

from __future__ import annotations

import calendar
import datetime as dt
import gzip
import io
import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings as django_settings
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages
from django.core.management.color import no_style
from django.db import connections, models, router
from django.db import transaction as db_transaction
from django.db.models import Case, Max, Subquery, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.signals import post_delete, pre_delete
from django.utils import timezone

from ..conf import settings as expense_settings
from ..exceptions import ArchiveError
from ..models import ChatMessage, StatementProcessingLog
from ..models import rows as stored_rows

#: Suffix of every archive file.
SUFFIX = ".jsonl.gz"
# Level 3: measured on 200,000 benchmark lines (442 bytes each before gzip),
# 4.6 µs and 9.7 bytes a row, against 8.2 µs and 7.8 bytes at level 6 (gzip's
# default) and 16 µs and 7.6 bytes at 9; level 1 was no faster and 13.4 bytes.
# At 20,000 rows/s level 6 alone took a sixth of the time; archives are cold.
_GZIP_LEVEL = 3

_AGE = re.compile(r"^\s*(\d+)\s*([dwmy])\s*$", re.IGNORECASE)


def archivable_models() -> dict[str, type[models.Model]]:
    """The models that may be archived, by the short name the command uses.

    :returns: ``{"chat": ChatMessage, "logs": StatementProcessingLog}``.
        ``Transaction`` is deliberately absent: transactions are kept forever.
    """
    return {"chat": ChatMessage, "logs": StatementProcessingLog}


def _archivable_by_label() -> dict[str, type[models.Model]]:
    return {model._meta.label_lower: model for model in archivable_models().values()}


# -- ages ----------------------------------------------------------------------


def parse_age(text: str) -> tuple[int, str]:
    """Read an age such as ``"30d"``, ``"2w"``, ``"6m"`` or ``"1y"``.

    :returns: ``(count, unit)`` with unit one of ``d``, ``w``, ``m``, ``y``.
    :raises ArchiveError: not a positive whole number followed by d/w/m/y.
    """
    match = _AGE.match(text or "")
    if not match or int(match.group(1)) < 1:
        raise ArchiveError(
            f"{text!r} is not an age; write a positive whole number and a unit: "
            "30d (days), 2w (weeks), 6m (months) or 1y (years)."
        )
    return int(match.group(1)), match.group(2).lower()


def cutoff_for(age: str, *, now: dt.datetime | None = None) -> dt.datetime:
    """The moment ``age`` before ``now``: rows created before it are old.

    Months and years are calendar months (``6m`` before 31 August is
    28 or 29 February), not 30-day blocks.

    :returns: an aware datetime when ``now`` is aware (``timezone.now()`` by default).
    :raises ArchiveError: ``age`` cannot be read (see :func:`parse_age`).
    """
    count, unit = parse_age(age)
    now = now or timezone.now()
    if unit == "d":
        return now - dt.timedelta(days=count)
    if unit == "w":
        return now - dt.timedelta(weeks=count)
    months = count * 12 if unit == "y" else count
    years_back, month_index = divmod(now.month - 1 - months, 12)
    year = now.year + years_back
    month = month_index + 1
    return now.replace(year=year, month=month, day=min(now.day, calendar.monthrange(year, month)[1]))


# -- serialisation ---------------------------------------------------------------


def _set_null_relations(model: type[models.Model]) -> list[models.ForeignObject]:
    """Foreign keys elsewhere that point at ``model`` and become NULL when it is deleted."""
    return [
        rel.field
        for rel in model._meta.related_objects
        if rel.field.many_to_one and rel.on_delete is models.SET_NULL and rel.field.concrete
    ]


def _link_label(fk: models.ForeignObject) -> str:
    return f"{fk.model._meta.label_lower}.{fk.name}"


def _dumps(record: dict[str, Any]) -> str:
    # The values json has no type for are written as every stored row writes them (models.rows).
    return json.dumps(record, default=stored_rows.encode, ensure_ascii=False, separators=(",", ":"))


def _collect_links(model: type[models.Model], pks: list[Any], using: str) -> dict[Any, dict[str, list[Any]]]:
    """``{pk: {link label: [ids of rows pointing at it]}}`` for the SET_NULL relations."""
    links: dict[Any, dict[str, list[Any]]] = defaultdict(dict)
    wanted = set(pks)
    for fk in _set_null_relations(model):
        # By range (pks are sorted), filtered here: a short query whatever the batch size.
        pointing = (
            fk.model._base_manager.using(using)
            .filter(**{f"{fk.attname}__gte": pks[0], f"{fk.attname}__lte": pks[-1]})
            .order_by("pk")
            .values_list(fk.attname, "pk")
        )
        for target, pk in pointing:
            if target in wanted:
                links[target].setdefault(_link_label(fk), []).append(pk)
    return links


def _archive_bytes(
    model: type[models.Model], fields: list[models.Field], rows: list[tuple], links: dict[Any, dict[str, list[Any]]]
) -> bytes:
    label = model._meta.label_lower
    pk_name = model._meta.pk.attname
    lines = []
    for row in rows:
        values = dict(zip((f.attname for f in fields), row, strict=True))
        pk = values[pk_name]
        record: dict[str, Any] = {
            "model": label,
            "pk": pk,
            "fields": {f.name: values[f.attname] for f in fields if not f.primary_key},
        }
        if pk in links:
            record["links"] = links[pk]
        lines.append(_dumps(record))
    return _gzip_lines(lines)


def _gzip_lines(lines: list[str]) -> bytes:
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", compresslevel=_GZIP_LEVEL, mtime=0) as out:
        out.write(("\n".join(lines) + "\n").encode("utf-8"))
    return buffer.getvalue()


# -- the PostgreSQL fast path ------------------------------------------------------

# Fields whose to_json() in PostgreSQL is what _dumps() writes for the value
# Django reads (numbers, strings, booleans, ISO dates and times with offset,
# uuids); anything else, or a field that converts what it reads
# (from_db_value: encrypted or custom fields), keeps the model on the generic path.
_PG_AS_IS = frozenset({
    "AutoField", "BigAutoField", "SmallAutoField", "IntegerField", "BigIntegerField", "SmallIntegerField",
    "PositiveIntegerField", "PositiveBigIntegerField", "PositiveSmallIntegerField", "CharField", "TextField",
    "SlugField", "EmailField", "URLField", "BooleanField", "DateField", "TimeField", "DateTimeField", "UUIDField",
})


def _pg_column_json(field: models.Field, column: str) -> str | None:
    """SQL giving the field's archive value as JSON, or None when only Python can."""
    if isinstance(field, models.JSONField):
        return column  # jsonb is spliced into the line as it is stored: never parsed
    if isinstance(field, models.ForeignObject):  # a stored relation writes its target's value
        field = field.target_field
    if hasattr(field, "from_db_value"):
        return None
    kind = field.get_internal_type()
    if kind in _PG_AS_IS:
        return column
    if kind == "DecimalField":
        return f"{column}::text"  # decimals are strings in the archive, never JSON numbers
    return None


def _pg_line_sql(model: type[models.Model], fields: list[models.Field], connection: Any) -> tuple[str, list[str]] | None:
    """An expression computing each row's whole archive line in PostgreSQL, with its params.

    ``None`` when the line cannot be computed there exactly as
    :func:`_archive_bytes` would write it (see :func:`_pg_column_json`).
    """
    if connection.vendor != "postgresql" or not django_settings.USE_TZ:
        # Without USE_TZ the generic path writes naive datetimes; to_json() would add an offset.
        return None
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    pairs, params = [], []
    for f in fields:
        if f.primary_key:
            continue
        value = _pg_column_json(f, f"{table}.{quote(f.column)}")
        if value is None:
            return None
        pairs.append(f"%s::text, {value}")
        params.append(f.name)
    # json_build_object takes at most 100 arguments (PostgreSQL's FUNC_MAX_ARGS).
    if len(pairs) > 50 or _pg_column_json(model._meta.pk, "") is None:
        return None
    links = []
    for number, fk in enumerate(_set_null_relations(model)):
        other = quote(f"expense_ai_link_{number}")  # an alias: the relation may point at its own table
        links.append(
            f"%s::text, (SELECT json_agg({other}.{quote(fk.model._meta.pk.column)} "
            f"ORDER BY {other}.{quote(fk.model._meta.pk.column)}) "
            f"FROM {quote(fk.model._meta.db_table)} {other} "
            f"WHERE {other}.{quote(fk.column)} = {table}.{quote(fk.target_field.column)})"
        )
    prefix = '{"model":' + json.dumps(model._meta.label_lower) + ',"pk":'
    sql = (
        f"concat(%s::text, to_json({table}.{quote(model._meta.pk.column)})::text, "
        f"',\"fields\":', json_build_object({', '.join(pairs)})::text"
    )
    params = [prefix, *params]
    if links:
        # Only rows that something points at carry "links", as in _archive_bytes;
        # concat() skips the NULL of the others.
        sql += f", ',\"links\":' || NULLIF(json_strip_nulls(json_build_object({', '.join(links)}))::text, '{{}}')"
        params += [_link_label(fk) for fk in _set_null_relations(model)]
    return f"{sql}, '}}')", params


def archive_storage() -> Storage:
    """The storage archives go to: ``STORAGES[EXPENSE_AI["ARCHIVE_STORAGE_ALIAS"]]``.

    :returns: a Django ``Storage``.
    """
    return storages[expense_settings.ARCHIVE_STORAGE_ALIAS]


def _file_name(prefix: str, model: type[models.Model], first: Any, last: Any) -> str:
    return f"{prefix.rstrip('/')}/{model._meta.label_lower}/{first:012d}-{last:012d}{SUFFIX}"


def _write(storage: Storage, name: str, data: bytes) -> str:
    # Same batch written again after a crash: replace the file, do not get "name_abc123".
    if storage.exists(name):
        storage.delete(name)
    saved = storage.save(name, ContentFile(data))
    if saved != name:
        raise ArchiveError(
            f"The archive storage saved {name!r} as {saved!r}; use a storage that keeps file names "
            "(ARCHIVE_STORAGE_ALIAS). No rows of this batch were deleted."
        )
    return saved


# -- archive ---------------------------------------------------------------------


@dataclass
class ArchiveReport:
    """What one archive run did (or, for a dry run, would do) for one model.

    ``rows`` is the number of rows written and deleted (dry run: that would
    be); ``files`` the storage names written, in order.
    """

    model: str
    cutoff: dt.datetime
    rows: int = 0
    files: list[str] = field(default_factory=list)
    dry_run: bool = False


def archive_model(
    model: type[models.Model],
    *,
    older_than: dt.datetime,
    dry_run: bool = False,
    batch_size: int | None = None,
    storage: Storage | None = None,
    prefix: str | None = None,
    progress: Callable[[str, int], None] | None = None,
) -> ArchiveReport:
    """Archive the rows of ``model`` created before ``older_than``, then delete them.

    :param model: one of :func:`archivable_models`.
    :param older_than: rows with ``created_at`` strictly before this go.
    :param dry_run: count only; nothing is written or deleted.
    :param batch_size: rows per file and per database transaction;
        ``EXPENSE_AI["BATCH_SIZE"]`` by default.
    :param storage: defaults to :func:`archive_storage`.
    :param prefix: folder in the storage; ``EXPENSE_AI["ARCHIVE_PREFIX"]`` by default.
    :param progress: called with ``(file name, rows)`` after each committed batch.
    :returns: an :class:`ArchiveReport`.
    :raises ArchiveError: ``model`` is not archivable, ``batch_size`` is below 1,
        or the storage renamed a file (nothing of that batch is deleted).
    """
    if model not in archivable_models().values():
        raise ArchiveError(f"{model._meta.label} is never archived; archivable: chat messages and processing logs.")
    batch_size = batch_size or expense_settings.BATCH_SIZE
    if batch_size < 1:
        raise ArchiveError("The batch size must be at least 1.")
    report = ArchiveReport(model=model._meta.label_lower, cutoff=older_than, dry_run=dry_run)
    using = router.db_for_write(model)
    old = model._base_manager.using(using).filter(created_at__lt=older_than)
    if dry_run:
        report.rows = old.count()
        return report
    # The highest old pk, found through the created_at index, bounds the keyset
    # walk: the last (empty) batch query then stops there instead of reading
    # every newer row.
    highest = old.aggregate(highest=Max("pk"))["highest"]
    if highest is None:
        return report
    storage = storage or archive_storage()
    prefix = expense_settings.ARCHIVE_PREFIX if prefix is None else prefix
    fields = stored_rows.stored_fields(model)
    attnames = [f.attname for f in fields]
    pk_index = attnames.index(model._meta.pk.attname)
    line_sql = _pg_line_sql(model, fields, connections[using])
    last = None
    while True:
        with db_transaction.atomic(using=using):
            batch = old.filter(pk__lte=highest)
            if last is not None:
                batch = batch.filter(pk__gt=last)
            # Locked until the delete commits: no one edits a row between the
            # moment it is written and the moment it is deleted.
            batch = batch.select_for_update().order_by("pk")
            if line_sql is not None:
                # PostgreSQL writes each line (JSON text, ISO timestamps, links)
                # in the same locking SELECT: nothing is decoded and encoded again.
                line = RawSQL(*line_sql, output_field=models.TextField())
                rows = list(batch.annotate(_line=line).values_list("pk", "_line")[:batch_size])
                pks = [row[0] for row in rows]
            else:
                rows = list(batch.values_list(*attnames)[:batch_size])
                pks = [row[pk_index] for row in rows]
            if not rows:
                break
            # The batch is every old row with a pk in [first, last] (keyset walk),
            # so later statements select it by range: one short query instead
            # of 2000 parameters.
            in_batch = old.filter(pk__gte=pks[0], pk__lte=pks[-1])
            if line_sql is not None:
                data = _gzip_lines([row[1] for row in rows])
            else:
                data = _archive_bytes(model, fields, rows, _collect_links(model, pks, using))
            name = _write(storage, _file_name(prefix, model, pks[0], pks[-1]), data)
            deleted = _delete(model, in_batch, using)
            if deleted != len(rows):
                # A row appeared in the range meanwhile (a concurrent restore): it
                # is not in the file, so nothing of this batch may go.
                raise ArchiveError(
                    f"{model._meta.label}: {deleted} rows matched batch {pks[0]}..{pks[-1]} for deletion but "
                    f"{len(rows)} were archived; nothing of this batch was deleted. Re-run the command."
                )
        last = pks[-1]
        report.rows += len(rows)
        report.files.append(name)
        if progress:
            progress(name, len(rows))
    return report


def _delete(model: type[models.Model], batch: models.QuerySet, using: str) -> int:
    """Delete ``batch`` as ``QuerySet.delete()`` would; returns the rows of ``model`` deleted.

    ``QuerySet.delete()`` loads every row (all columns) as soon as another
    table points at the model, even with ``SET_NULL``; that load was more than
    half of an archive run. When the only incoming links are ``SET_NULL`` or
    ``DO_NOTHING`` and nobody listens to delete signals, the links are set to
    NULL with one UPDATE each and the rows deleted loading only their keys: the same
    end state. Otherwise (a host model with ``CASCADE``, a receiver) the
    ordinary delete runs.
    """
    relations = model._meta.related_objects
    simple = all(rel.on_delete in (models.SET_NULL, models.DO_NOTHING) for rel in relations) and not any(
        signal.has_listeners(model) for signal in (pre_delete, post_delete)
    )
    if not simple:
        _, per_model = batch.delete()
        return per_model.get(model._meta.label, 0)
    for fk in _set_null_relations(model):
        # A subquery, not a list of ids: MariaDB updates one table selecting from another.
        # The bounds (computed once each) let the database read the linking
        # rows through the foreign key's index; with the IN alone PostgreSQL
        # chose to scan the whole (large) transactions table for every batch.
        fk.model._base_manager.using(using).filter(
            **{
                f"{fk.attname}__gte": Subquery(batch.order_by("pk").values("pk")[:1]),
                f"{fk.attname}__lte": Subquery(batch.order_by("-pk").values("pk")[:1]),
                f"{fk.attname}__in": batch.values("pk"),
            }
        ).update(**{fk.attname: None})
    # Only the keys are loaded: the links are already NULL, so nothing else is needed.
    _, per_model = batch.only("pk").delete()
    return per_model.get(model._meta.label, 0)


def archive(
    *,
    chat_older_than: str | None = "6m",
    logs_older_than: str | None = "12m",
    dry_run: bool = False,
    batch_size: int | None = None,
    now: dt.datetime | None = None,
    progress: Callable[[str, int], None] | None = None,
) -> list[ArchiveReport]:
    """Archive chat messages and processing logs by age (the spec's strategy).

    :param chat_older_than: age such as ``"6m"``; ``None`` leaves chat messages alone.
    :param logs_older_than: age such as ``"12m"``; ``None`` leaves logs alone.
    :returns: one :class:`ArchiveReport` per model archived, chat first.
    :raises ArchiveError: an age cannot be read, or a batch could not be stored.
    """
    now = now or timezone.now()
    plan = [(ChatMessage, chat_older_than), (StatementProcessingLog, logs_older_than)]
    # Read every age before touching anything: a typo in the second must not
    # leave the first half done.
    cutoffs = [(model, cutoff_for(age, now=now)) for model, age in plan if age is not None]
    return [
        archive_model(model, older_than=cutoff, dry_run=dry_run, batch_size=batch_size, progress=progress)
        for model, cutoff in cutoffs
    ]


# -- restore ---------------------------------------------------------------------


@dataclass
class RestoreReport:
    """What :func:`restore` did.

    ``restored`` counts inserted rows per model label; ``already_present``
    rows whose primary key existed (left as they are); ``skipped`` rows not
    restored because a required parent is gone (``{field label: count}``,
    e.g. a log whose uploaded file was deleted); ``unlinked`` optional links
    set to NULL because their target is gone; ``relinked`` rows elsewhere
    pointed back at a restored row (``transaction.chat_message``);
    ``not_relinked`` links that could not be restored (the row is gone or
    now points at another message).
    """

    files: list[str] = field(default_factory=list)
    restored: dict[str, int] = field(default_factory=dict)
    already_present: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    unlinked: dict[str, int] = field(default_factory=dict)
    relinked: dict[str, int] = field(default_factory=dict)
    not_relinked: dict[str, int] = field(default_factory=dict)

    @property
    def total_restored(self) -> int:
        """Rows inserted, all models together."""
        return sum(self.restored.values())


def archive_files(path: str, *, storage: Storage | None = None) -> list[str]:
    """The archive files at ``path``: the file itself, or every file under a prefix.

    :returns: storage names ending in ``.jsonl.gz``, sorted (model, then pk range).
    :raises ArchiveError: nothing is there.
    """
    storage = storage or archive_storage()
    path = path.strip().rstrip("/")
    if path.endswith(SUFFIX):
        if not storage.exists(path):
            raise ArchiveError(f"No archive file {path!r} in the archive storage.")
        return [path]
    found = sorted(_walk(storage, path))
    if not found:
        raise ArchiveError(f"No archive files ({SUFFIX}) under {path!r} in the archive storage.")
    return found


def _walk(storage: Storage, folder: str) -> Iterator[str]:
    try:
        directories, files = storage.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return
    for name in files:
        if name.endswith(SUFFIX):
            yield f"{folder}/{name}" if folder else name
    for directory in directories:
        yield from _walk(storage, f"{folder}/{directory}" if folder else directory)


def _read(storage: Storage, name: str) -> list[dict[str, Any]]:
    archivable = _archivable_by_label()
    records = []
    try:
        with storage.open(name, "rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as lines:
            for number, line in enumerate(lines, start=1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                    label = record["model"]
                    record["pk"], record["fields"]  # noqa: B018 - presence check
                except (ValueError, KeyError, TypeError) as err:
                    raise ArchiveError(f"{name}, line {number}: not an archive record ({err}).") from err
                if label not in archivable:
                    raise ArchiveError(
                        f"{name}, line {number}: {label!r} is not an archivable model; nothing was restored "
                        "from this file."
                    )
                records.append(record)
    except (OSError, EOFError, gzip.BadGzipFile) as err:
        raise ArchiveError(f"{name}: not a readable gzip file ({err}).") from err
    return records


def _existing(model: type[models.Model], field_name: str, values: Iterable[Any], using: str) -> set[Any]:
    values = list(set(values))
    found: set[Any] = set()
    # Chunked: SQLite and Oracle cap the parameters of one query.
    for start in range(0, len(values), 900):
        chunk = values[start : start + 900]
        found.update(
            model._base_manager.using(using).filter(**{f"{field_name}__in": chunk}).values_list(field_name, flat=True)
        )
    return found


def _restore_model(model: type[models.Model], records: list[dict[str, Any]], report: RestoreReport) -> None:
    using = router.db_for_write(model)
    label = model._meta.label_lower
    fields = stored_rows.stored_fields(model)
    pk_field = model._meta.pk
    by_pk: dict[Any, dict[str, Any]] = {}
    for record in records:
        by_pk[pk_field.to_python(record["pk"])] = record  # the last copy of a pk wins
    # One range query (archive files hold a pk range), intersected here.
    in_range = model._base_manager.using(using).filter(pk__gte=min(by_pk), pk__lte=max(by_pk))
    present = set(in_range.values_list("pk", flat=True)) & set(by_pk)
    report.already_present += len(present)
    for pk in present:
        del by_pk[pk]
    if not by_pk:
        return
    values: dict[Any, dict[str, Any]] = {}
    for pk, record in by_pk.items():
        row = {pk_field.attname: pk}
        for f in fields:
            if not f.primary_key:
                row[f.attname] = stored_rows.field_value(f, record["fields"].get(f.name))
        values[pk] = row
    # Links to rows deleted since the archive was written: a required parent
    # skips the row (what CASCADE would have done), an optional one becomes NULL.
    for f in fields:
        if not isinstance(f, models.ForeignObject) or not f.many_to_one or f.related_model is None:
            continue
        wanted = {row[f.attname] for row in values.values() if row[f.attname] is not None}
        if not wanted:
            continue
        gone = wanted - _existing(f.related_model, f.target_field.attname, wanted, using)
        if not gone:
            continue
        key = f"{label}.{f.name}"
        for pk in [pk for pk, row in values.items() if row[f.attname] in gone]:
            if f.null:
                values[pk][f.attname] = None
                report.unlinked[key] = report.unlinked.get(key, 0) + 1
            else:
                del values[pk]
                report.skipped[key] = report.skipped.get(key, 0) + 1
    objs = [model(**row) for row in values.values()]
    if objs:
        with db_transaction.atomic(using=using):
            # As stored: bulk_create would stamp created_at/updated_at (auto_now) anew.
            stored_rows.insert_as_stored(objs, using=using)
        report.restored[label] = report.restored.get(label, 0) + len(objs)
    _relink(model, {pk: by_pk[pk].get("links") or {} for pk in values}, using, report)


def _relink(model: type[models.Model], links: dict[Any, dict[str, list[Any]]], using: str, report: RestoreReport) -> None:
    relations = {_link_label(fk): fk for fk in _set_null_relations(model)}
    wanted: dict[str, dict[Any, Any]] = defaultdict(dict)  # label -> {row pk: restored pk}
    for pk, by_label in links.items():
        for link, ids in by_label.items():
            if link in relations:
                for other in ids:
                    wanted[link][other] = pk
    for link, targets in wanted.items():
        fk = relations[link]
        # Only rows still pointing nowhere: a link set to another row since stays.
        open_rows = fk.model._base_manager.using(using).filter(pk__in=list(targets), **{f"{fk.attname}__isnull": True})
        pks = list(open_rows.values_list("pk", flat=True))
        if pks:
            fk.model._base_manager.using(using).filter(pk__in=pks).update(
                **{
                    fk.attname: Case(
                        *[When(pk=other, then=Value(targets[other])) for other in pks],
                        output_field=fk.target_field,
                    )
                }
            )
        report.relinked[link] = report.relinked.get(link, 0) + len(pks)
        if len(targets) > len(pks):
            report.not_relinked[link] = report.not_relinked.get(link, 0) + len(targets) - len(pks)


def reset_sequences(models_: Iterable[type[models.Model]]) -> None:
    """Move the primary-key sequences past restored ids (PostgreSQL; a no-op elsewhere).

    Rows inserted with explicit ids do not advance a PostgreSQL sequence; the
    next ordinary insert would otherwise collide with a restored id.
    """
    by_db: dict[str, list[type[models.Model]]] = defaultdict(list)
    for model in models_:
        by_db[router.db_for_write(model)].append(model)
    for using, group in by_db.items():
        connection = connections[using]
        statements = connection.ops.sequence_reset_sql(no_style(), group)
        if statements:
            with connection.cursor() as cursor:
                for sql in statements:
                    cursor.execute(sql)


def restore(
    path: str,
    *,
    storage: Storage | None = None,
    progress: Callable[[str, int], None] | None = None,
) -> RestoreReport:
    """Bring archived rows back from one archive file or every file under a prefix.

    Idempotent: a row whose primary key exists is left alone, so restoring
    twice, or restoring overlapping files, inserts each row once. Each file
    is restored in one database transaction; sequences are reset at the end.

    :param path: a storage name ending in ``.jsonl.gz``, or a prefix such as
        ``expense_ai/archive`` or ``expense_ai/archive/expense_ai.chatmessage``.
    :param progress: called with ``(file name, rows inserted)`` after each file.
    :returns: a :class:`RestoreReport`.
    :raises ArchiveError: no archive files there, or a file that is not a
        readable archive of an archivable model (that file restores nothing;
        earlier files stay restored).
    """
    storage = storage or archive_storage()
    archivable = _archivable_by_label()
    report = RestoreReport()
    touched: set[type[models.Model]] = set()
    for name in archive_files(path, storage=storage):
        records = _read(storage, name)
        by_model: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for record in records:
            by_model[record["model"]].append(record)
        before = report.total_restored
        models_in_file = [archivable[label] for label in by_model]
        if models_in_file:
            with db_transaction.atomic(using=router.db_for_write(models_in_file[0])):
                for model in models_in_file:
                    _restore_model(model, by_model[model._meta.label_lower], report)
            touched.update(models_in_file)
        report.files.append(name)
        if progress:
            progress(name, report.total_restored - before)
    reset_sequences(touched)
    return report
