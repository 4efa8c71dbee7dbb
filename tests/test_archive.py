"""Archival: ages, the archive files, delete after write, resumable runs, idempotent restore."""

from __future__ import annotations

import datetime as dt
import gzip
import io
import json
from decimal import Decimal
from unittest import mock

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import BinaryField, DurationField, FloatField, JSONField, Value
from hypothesis import given
from hypothesis import strategies as st

from django_expense_ai.exceptions import ArchiveError, ExpenseAIError
from django_expense_ai.maintenance import archive as archive_mod
from django_expense_ai.maintenance.archive import (
    archive,
    archive_files,
    archive_model,
    cutoff_for,
    parse_age,
    restore,
)
from django_expense_ai.models import (
    ChatMessage,
    StatementProcessingLog,
    Transaction,
    UploadedFile,
)
from django_expense_ai.models.rows import stored_fields

NOW = dt.datetime(2025, 8, 31, 12, 0, tzinfo=dt.timezone.utc)
OLD = dt.datetime(2024, 1, 15, 9, 30, 12, 345678, tzinfo=dt.timezone.utc)  # microseconds must survive
# Recent for any "now" a test uses: the fixed NOW and the real clock (the command uses it).
RECENT = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=3)
PREFIX = "arch"


# -- ages ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("age", "expected"),
    [
        ("6m", dt.datetime(2025, 2, 28, 12, 0, tzinfo=dt.timezone.utc)),  # 31 Aug - 6 months: end of February
        ("12m", dt.datetime(2024, 8, 31, 12, 0, tzinfo=dt.timezone.utc)),
        ("1y", dt.datetime(2024, 8, 31, 12, 0, tzinfo=dt.timezone.utc)),
        ("18m", dt.datetime(2024, 2, 29, 12, 0, tzinfo=dt.timezone.utc)),  # leap year
        ("8m", dt.datetime(2024, 12, 31, 12, 0, tzinfo=dt.timezone.utc)),  # across the year end
        ("30d", dt.datetime(2025, 8, 1, 12, 0, tzinfo=dt.timezone.utc)),
        ("2w", dt.datetime(2025, 8, 17, 12, 0, tzinfo=dt.timezone.utc)),
        (" 6M ", dt.datetime(2025, 2, 28, 12, 0, tzinfo=dt.timezone.utc)),
    ],
)
def test_cutoff_for(age, expected):
    assert cutoff_for(age, now=NOW) == expected


@pytest.mark.parametrize("bad", ["", "6", "m", "0m", "-1m", "6x", "1.5y", "six months", None])
def test_bad_ages_are_refused(bad):
    with pytest.raises(ArchiveError, match="not an age") as info:
        parse_age(bad)
    assert isinstance(info.value, ExpenseAIError) and isinstance(info.value, ValueError)


@given(
    months=st.integers(min_value=1, max_value=600),
    now=st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2200, 12, 31)),
)
def test_month_cutoffs_are_calendar_months(months, now):
    cutoff = cutoff_for(f"{months}m", now=now)
    assert (now.year * 12 + now.month) - (cutoff.year * 12 + cutoff.month) == months
    assert cutoff.day == min(now.day, cutoff.day) and cutoff.time() == now.time()
    assert cutoff < now


def test_archive_values_are_encoded_without_loss():
    line = archive_mod._dumps(
        {"d": Decimal("-12.3400"), "t": OLD, "day": dt.date(2024, 2, 29), "b": b"\x00\xff", "j": {"x": [1, "2"]}}
    )
    assert json.loads(line) == {
        "d": "-12.3400",
        "t": "2024-01-15T09:30:12.345678+00:00",
        "day": "2024-02-29",
        "b": "AP8=",
        "j": {"x": [1, "2"]},
    }


# -- fixtures --------------------------------------------------------------------


@pytest.fixture
def archive_storage(settings):
    """A fresh in-memory storage under its own alias, as ARCHIVE_STORAGE_ALIAS."""
    settings.STORAGES = {**settings.STORAGES, "archive": {"BACKEND": "django.core.files.storage.InMemoryStorage"}}
    settings.EXPENSE_AI = {"ARCHIVE_STORAGE_ALIAS": "archive", "ARCHIVE_PREFIX": PREFIX, "BATCH_SIZE": 2}
    return storages["archive"]


def _age(model, pks, moment):
    stamps = {"created_at": moment}
    if any(f.name == "updated_at" for f in model._meta.fields):
        stamps["updated_at"] = moment
    model._base_manager.filter(pk__in=pks).update(**stamps)


@pytest.fixture
def data(user, archive_storage):
    upload = UploadedFile.objects.create(user=user, filename="march.pdf")
    old_tx = Transaction.objects.create(user=user, date=dt.date(2024, 1, 15), amount=Decimal("-12.50"))
    messages = [
        ChatMessage.objects.create(
            user=user,
            conversation_id="main",
            content=f"lunch {i}",
            metadata={"amount": "12.50", "mentions": ["@john"], "n": i, "nested": {"ok": True}},
            related_transaction=old_tx if i == 0 else None,
            related_file=upload if i == 1 else None,
        )
        for i in range(5)
    ]
    old_tx.chat_message = messages[0]
    old_tx.save()
    _age(ChatMessage, [m.pk for m in messages], OLD)
    fresh = ChatMessage.objects.create(user=user, conversation_id="main", content="today")
    _age(ChatMessage, [fresh.pk], RECENT)
    logs = [
        StatementProcessingLog.objects.create(
            uploaded_file=upload, processing_stage="parse_attempt", status="failed",
            details={"error": "no rows", "confidence": "0.42"}, execution_time_ms=15,
        )
        for _ in range(3)
    ]
    _age(StatementProcessingLog, [g.pk for g in logs], OLD)
    fresh_log = StatementProcessingLog.objects.create(uploaded_file=upload, processing_stage="upload", status="success")
    _age(StatementProcessingLog, [fresh_log.pk], RECENT)
    return {
        "upload": upload,
        "tx": old_tx,
        "messages": [ChatMessage.objects.get(pk=m.pk) for m in messages],
        "fresh": fresh,
        "logs": [StatementProcessingLog.objects.get(pk=g.pk) for g in logs],
        "fresh_log": fresh_log,
    }


def _read(storage, name):
    with storage.open(name, "rb") as fh:
        return [json.loads(line) for line in gzip.decompress(fh.read()).decode().splitlines()]


def _snapshot(model, pks):
    rows = model._base_manager.filter(pk__in=pks).order_by("pk").values()
    return [dict(row) for row in rows]


# -- archive ---------------------------------------------------------------------

pytestmark = pytest.mark.django_db


def test_archive_writes_files_then_deletes(data, archive_storage):
    tx_count = Transaction.objects.count()
    reports = archive(now=NOW)
    chat, logs = reports
    assert (chat.model, chat.rows, len(chat.files)) == ("expense_ai.chatmessage", 5, 3)  # batches of 2
    assert (logs.model, logs.rows, len(logs.files)) == ("expense_ai.statementprocessinglog", 3, 2)
    assert list(ChatMessage.objects.values_list("pk", flat=True)) == [data["fresh"].pk]
    assert list(StatementProcessingLog.objects.values_list("pk", flat=True)) == [data["fresh_log"].pk]
    # Transactions are never archived; the message link became NULL (SET_NULL).
    assert Transaction.objects.count() == tx_count
    data["tx"].refresh_from_db()
    assert data["tx"].chat_message_id is None

    pks = [m.pk for m in data["messages"]]
    assert chat.files == [
        f"{PREFIX}/expense_ai.chatmessage/{pks[0]:012d}-{pks[1]:012d}.jsonl.gz",
        f"{PREFIX}/expense_ai.chatmessage/{pks[2]:012d}-{pks[3]:012d}.jsonl.gz",
        f"{PREFIX}/expense_ai.chatmessage/{pks[4]:012d}-{pks[4]:012d}.jsonl.gz",
    ]
    first = _read(archive_storage, chat.files[0])
    assert [r["pk"] for r in first] == pks[:2]
    record = first[0]
    assert record["model"] == "expense_ai.chatmessage"
    assert record["fields"]["user"] == data["messages"][0].user_id
    assert record["fields"]["related_transaction"] == data["tx"].pk
    assert record["fields"]["metadata"] == {"amount": "12.50", "mentions": ["@john"], "n": 0, "nested": {"ok": True}}
    assert record["fields"]["created_at"] == "2024-01-15T09:30:12.345678+00:00"
    assert record["links"] == {"expense_ai.transaction.chat_message": [data["tx"].pk]}
    assert first[1]["fields"]["related_file"] == data["upload"].pk and "links" not in first[1]
    log = _read(archive_storage, logs.files[0])[0]
    assert log["fields"]["uploaded_file"] == data["upload"].pk
    assert log["fields"]["details"] == {"error": "no rows", "confidence": "0.42"}


def test_dry_run_changes_nothing(data, archive_storage):
    out = io.StringIO()
    call_command("expense_ai_archive", "--dry-run", stdout=out)
    text = out.getvalue()
    assert "expense_ai.chatmessage: 5 rows" in text and "would be archived" in text
    assert "expense_ai.statementprocessinglog: 3 rows" in text
    assert "Dry run: 8 rows" in text
    assert ChatMessage.objects.count() == 6 and StatementProcessingLog.objects.count() == 4
    assert archive_storage.listdir("")[0] == []  # nothing written


def test_command_prints_counts_and_respects_ages(data, archive_storage):
    out = io.StringIO()
    call_command("expense_ai_archive", "--chat-older-than", "30d", "--logs-older-than", "off",
                 "--batch-size", "10", stdout=out)
    text = out.getvalue()
    assert list(ChatMessage.objects.values_list("pk", flat=True)) == [data["fresh"].pk]  # 3 days old
    assert "expense_ai.chatmessage: 5 rows" in text and "1 file(s)" in text
    assert "statementprocessinglog" not in text
    assert StatementProcessingLog.objects.count() == 4
    assert "Done: 5 rows archived." in text


def test_command_refuses_bad_input(data):
    with pytest.raises(CommandError, match="not an age"):
        call_command("expense_ai_archive", "--chat-older-than", "6", stdout=io.StringIO())
    with pytest.raises(CommandError, match="at least 1"):
        call_command("expense_ai_archive", "--batch-size", "0", stdout=io.StringIO())
    assert ChatMessage.objects.count() == 6


def test_a_bad_second_age_archives_nothing(data):
    with pytest.raises(ArchiveError):
        archive(chat_older_than="6m", logs_older_than="12x", now=NOW)
    assert ChatMessage.objects.count() == 6


def test_transactions_are_never_archived(data):
    with pytest.raises(ArchiveError, match="never archived"):
        archive_model(Transaction, older_than=NOW)


def test_cutoff_is_strict(data, archive_storage):
    report = archive_model(ChatMessage, older_than=OLD, storage=archive_storage)
    assert report.rows == 0 and ChatMessage.objects.count() == 6


def test_keyset_batches_cover_every_row_once(user, archive_storage):
    created = ChatMessage.objects.bulk_create(
        [ChatMessage(user=user, conversation_id="c", content=str(i)) for i in range(25)]
    )
    pks = sorted(m.pk for m in created)
    _age(ChatMessage, pks[:23], OLD)  # the two newest stay
    report = archive_model(ChatMessage, older_than=NOW, batch_size=7)
    assert report.rows == 23 and len(report.files) == 4
    seen = [r["pk"] for name in report.files for r in _read(archive_storage, name)]
    assert seen == pks[:23]
    assert sorted(ChatMessage.objects.values_list("pk", flat=True)) == pks[23:]


# -- restore ---------------------------------------------------------------------


def test_restore_brings_back_every_field_and_the_links(data, archive_storage):
    pks = [m.pk for m in data["messages"]]
    log_pks = [g.pk for g in data["logs"]]
    before_messages = _snapshot(ChatMessage, pks)
    before_logs = _snapshot(StatementProcessingLog, log_pks)
    data["tx"].refresh_from_db()
    assert data["tx"].chat_message_id == pks[0]
    archive(now=NOW)
    assert ChatMessage.objects.filter(pk__in=pks).count() == 0

    out = io.StringIO()
    call_command("expense_ai_restore", PREFIX, stdout=out)
    assert _snapshot(ChatMessage, pks) == before_messages  # timestamps included, to the microsecond
    assert _snapshot(StatementProcessingLog, log_pks) == before_logs
    data["tx"].refresh_from_db()
    assert data["tx"].chat_message_id == pks[0]  # the SET_NULL link is back
    text = out.getvalue()
    assert "expense_ai.chatmessage: 5 rows restored." in text
    assert "expense_ai.statementprocessinglog: 3 rows restored." in text
    assert "1 links expense_ai.transaction.chat_message restored." in text
    assert "Done: 8 rows restored from 5 file(s)." in text


def test_restore_is_idempotent(data, archive_storage):
    archive(now=NOW)
    first = restore(PREFIX)
    assert first.total_restored == 8 and first.already_present == 0
    second = restore(PREFIX)
    assert second.total_restored == 0 and second.already_present == 8
    assert ChatMessage.objects.count() == 6 and StatementProcessingLog.objects.count() == 4


def test_restore_one_file_or_one_model(data, archive_storage):
    chat, logs = archive(now=NOW)
    report = restore(chat.files[1])
    assert report.files == [chat.files[1]] and report.restored == {"expense_ai.chatmessage": 2}
    report = restore(f"{PREFIX}/expense_ai.statementprocessinglog/")
    assert report.files == logs.files and report.restored == {"expense_ai.statementprocessinglog": 3}
    assert archive_files(PREFIX) == sorted(chat.files + logs.files)


def test_crash_between_write_and_delete_never_duplicates(data, archive_storage):
    pks = [m.pk for m in data["messages"]]
    real_delete = archive_mod._delete
    calls = []

    def crash_on_second(model, batch, using):
        calls.append(batch)
        if len(calls) == 2:
            raise RuntimeError("killed")
        return real_delete(model, batch, using)

    with mock.patch.object(archive_mod, "_delete", crash_on_second), pytest.raises(RuntimeError):
        archive(now=NOW, logs_older_than=None)
    # First batch gone, second written but rolled back: its rows are still here.
    assert sorted(ChatMessage.objects.filter(pk__in=pks).values_list("pk", flat=True)) == pks[2:]
    written = archive_files(PREFIX)
    assert len(written) == 2

    # The re-run uses bigger batches: its file overlaps the orphan one.
    report = archive_model(ChatMessage, older_than=NOW, batch_size=10)
    assert report.rows == 3
    assert len(archive_files(PREFIX)) == 3
    restored = restore(PREFIX)
    assert restored.restored == {"expense_ai.chatmessage": 5}
    assert restored.already_present == 2  # the orphan file's rows, met again in the overlapping one
    assert sorted(ChatMessage.objects.filter(pk__in=pks).values_list("pk", flat=True)) == pks


def test_rerunning_the_same_batch_replaces_its_file(data, archive_storage):
    with mock.patch.object(archive_mod, "_delete", side_effect=RuntimeError("killed")), pytest.raises(RuntimeError):
        archive_model(ChatMessage, older_than=NOW)
    report = archive_model(ChatMessage, older_than=NOW)
    assert len(archive_files(PREFIX)) == len(report.files) == 3  # no "name_xyz" copies


def test_restore_when_linked_rows_are_gone(data, archive_storage):
    archive(now=NOW)
    data["tx"].delete()
    data["upload"].delete()  # cascades to the remaining (recent) log
    report = restore(PREFIX)
    assert report.restored == {"expense_ai.chatmessage": 5}
    assert report.unlinked == {
        "expense_ai.chatmessage.related_transaction": 1,
        "expense_ai.chatmessage.related_file": 1,
    }
    # A log cannot exist without its file: not restored, reported.
    assert report.skipped == {"expense_ai.statementprocessinglog.uploaded_file": 3}
    assert report.relinked == {"expense_ai.transaction.chat_message": 0}
    assert report.not_relinked == {"expense_ai.transaction.chat_message": 1}
    assert not ChatMessage.objects.filter(related_transaction__isnull=False).exists()


def test_relink_leaves_a_transaction_that_links_elsewhere(data, archive_storage, user):
    archive(now=NOW, logs_older_than=None)
    other = ChatMessage.objects.create(user=user, conversation_id="main", content="new link")
    data["tx"].refresh_from_db()
    data["tx"].chat_message = other
    data["tx"].save()
    report = restore(PREFIX)
    data["tx"].refresh_from_db()
    assert data["tx"].chat_message_id == other.pk
    assert report.not_relinked == {"expense_ai.transaction.chat_message": 1}


def test_restored_ids_do_not_collide_with_new_rows(user, archive_storage):
    high = 10**7 + 123
    line = json.dumps({
        "model": "expense_ai.chatmessage", "pk": high,
        "fields": {"user": user.pk, "related_transaction": None, "related_file": None, "conversation_id": "c",
                   "message_type": "user", "content": "from the archive", "metadata": {}, "status": "draft",
                   "created_at": "2023-05-01T10:00:00+00:00", "updated_at": "2023-05-01T10:00:00+00:00"},
    })
    archive_storage.save(f"{PREFIX}/by-hand{archive_mod.SUFFIX}", ContentFile(gzip.compress(line.encode())))
    assert restore(PREFIX).restored == {"expense_ai.chatmessage": 1}
    restored = ChatMessage.objects.get(pk=high)
    assert restored.created_at == dt.datetime(2023, 5, 1, 10, tzinfo=dt.timezone.utc)
    # PostgreSQL: only true because restore resets the sequence.
    assert ChatMessage.objects.create(user=user, conversation_id="c", content="next").pk > high


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"not gzip at all", "not a readable gzip file"),
        (gzip.compress(b'{"model": "expense_ai.chatmessage"}\n'), "line 1: not an archive record"),
        (gzip.compress(b"{broken\n"), "line 1: not an archive record"),
        (gzip.compress(b'{"model": "auth.user", "pk": 1, "fields": {"username": "x"}}\n'),
         "'auth.user' is not an archivable model"),
        (gzip.compress(b'{"model": "expense_ai.transaction", "pk": 1, "fields": {}}\n'),
         "is not an archivable model"),
    ],
)
def test_restore_refuses_files_that_are_not_archives(user, archive_storage, content, message):
    name = archive_storage.save(f"{PREFIX}/bad{archive_mod.SUFFIX}", ContentFile(content))
    users_before = type(user).objects.count()
    with pytest.raises(ArchiveError, match=message) as info:
        restore(name)
    assert name in str(info.value)
    assert type(user).objects.count() == users_before and ChatMessage.objects.count() == 0


def test_restore_command_reports_missing_archive(archive_storage):
    with pytest.raises(CommandError, match="No archive files"):
        call_command("expense_ai_restore", "nowhere", stdout=io.StringIO())
    with pytest.raises(CommandError, match="No archive file 'nowhere/x.jsonl.gz'"):
        call_command("expense_ai_restore", "nowhere/x.jsonl.gz", stdout=io.StringIO())


def test_delete_receivers_still_hear_about_archived_rows(data, archive_storage):
    from django.db.models.signals import post_delete

    heard = []

    def listener(sender, instance, **kwargs):
        heard.append(instance.pk)

    post_delete.connect(listener, sender=ChatMessage, dispatch_uid="test-archive-listener")
    try:
        report = archive_model(ChatMessage, older_than=NOW)
    finally:
        post_delete.disconnect(sender=ChatMessage, dispatch_uid="test-archive-listener")
    assert report.rows == 5 and sorted(heard) == [m.pk for m in data["messages"]]
    data["tx"].refresh_from_db()
    assert data["tx"].chat_message_id is None


def test_a_row_slipping_into_a_batch_range_stops_the_delete(user, archive_storage):
    created = ChatMessage.objects.bulk_create(
        [ChatMessage(user=user, conversation_id="c", content=str(i)) for i in range(3)]
    )
    pks = sorted(m.pk for m in created)
    ChatMessage.objects.filter(pk=pks[1]).delete()  # a gap inside the first batch's range
    _age(ChatMessage, pks, OLD)
    real_write = archive_mod._write

    def write_then_restore_into_the_gap(storage, name, data):
        saved = real_write(storage, name, data)
        # What a concurrent restore could do between the read and the delete.
        ChatMessage.objects.create(pk=pks[1], user=user, conversation_id="c", content="restored")
        ChatMessage.objects.filter(pk=pks[1]).update(created_at=OLD)
        return saved

    with mock.patch.object(archive_mod, "_write", write_then_restore_into_the_gap), \
            pytest.raises(ArchiveError, match="nothing of this batch was deleted"):
        archive_model(ChatMessage, older_than=NOW, batch_size=10)
    assert ChatMessage.objects.filter(pk__in=[pks[0], pks[2]]).count() == 2


# -- the PostgreSQL fast path --------------------------------------------------------


class _Rollback(Exception):
    pass


def _records_by_pk(storage, names):
    return {record["pk"]: record for name in names for record in _read(storage, name)}


def _same_moments(record, model):
    """The record with its datetimes parsed: PostgreSQL writes ``.3``, Python ``.300000``."""
    from django.utils.dateparse import parse_datetime

    fields = dict(record["fields"])
    for f in model._meta.concrete_fields:
        if f.get_internal_type() == "DateTimeField" and fields.get(f.name) is not None:
            fields[f.name] = parse_datetime(fields[f.name])
    return {**record, "fields": fields}


def test_fast_path_is_postgres_only():
    from django.db import connection

    line_sql = archive_mod._pg_line_sql(ChatMessage, stored_fields(ChatMessage), connection)
    assert (line_sql is not None) == (connection.vendor == "postgresql")


@pytest.mark.parametrize(
    ("field", "fast"),
    [
        (Transaction._meta.get_field("amount"), True),  # decimal: written as text
        (ChatMessage._meta.get_field("metadata"), True),
        (ChatMessage._meta.get_field("user"), True),
        (ChatMessage._meta.get_field("created_at"), True),
        (FloatField(), False),  # NaN is not JSON
        (BinaryField(), False),  # base64, not \\x hex
        (DurationField(), False),
    ],
)
def test_fast_path_only_for_fields_postgres_writes_as_python_does(field, fast):
    assert (archive_mod._pg_column_json(field, '"col"') is not None) is fast


def test_a_field_that_converts_what_it_reads_keeps_the_generic_path():
    from django.db import models

    class Sealed(models.TextField):
        def from_db_value(self, value, expression, connection):
            return value  # e.g. decryption: only Python knows the value

    assert archive_mod._pg_column_json(Sealed(), '"col"') is None


def test_fast_path_writes_what_the_generic_path_writes(data, archive_storage, user):
    from django.db import connection, transaction

    if connection.vendor != "postgresql":
        pytest.skip("the fast path is PostgreSQL's")
    # Values whose JSON text differs between PostgreSQL and Python, or is easy to get wrong.
    tricky = [
        ChatMessage.objects.create(
            user=user, conversation_id='quo"te\\back', content='line\nbreak\ttab "quoted" é 漢字 😀 \x01',
            metadata={"z": None, "a": [1.5, 0.93, -2, 10**20, "12.50"], "nested": {"empty": {}, "list": []},
                      "text": "ünï\ncode"},
            related_transaction=data["tx"],
        ),
        ChatMessage.objects.create(user=user, conversation_id="c", content="", metadata=[]),
        ChatMessage.objects.create(user=user, conversation_id="c", content="json null", metadata=Value(None, JSONField())),
        ChatMessage.objects.create(user=user, conversation_id="c", content="string", metadata="just text"),
    ]
    _age(ChatMessage, [m.pk for m in tricky], OLD.replace(microsecond=300000))
    ChatMessage.objects.filter(pk=tricky[1].pk).update(created_at=OLD.replace(microsecond=0))
    # A second transaction pointing at the first message: links are a sorted list.
    second_tx = Transaction.objects.create(
        user=user, date=dt.date(2024, 1, 16), amount=Decimal("-1.00"), chat_message=data["messages"][0]
    )
    message_pks = sorted(ChatMessage.objects.filter(created_at__lt=NOW).values_list("pk", flat=True))
    log_pks = [g.pk for g in data["logs"]]
    before = (_snapshot(ChatMessage, message_pks), _snapshot(StatementProcessingLog, log_pks))

    with pytest.raises(_Rollback), transaction.atomic():
        fast = [archive_model(m, older_than=NOW, batch_size=3, prefix="fast")
                for m in (ChatMessage, StatementProcessingLog)]
        raise _Rollback  # the rows come back; the files stay in the storage
    with mock.patch.object(archive_mod, "_pg_line_sql", return_value=None):
        generic = [archive_model(m, older_than=NOW, batch_size=3, prefix="generic")
                   for m in (ChatMessage, StatementProcessingLog)]

    for model, fast_report, generic_report in zip((ChatMessage, StatementProcessingLog), fast, generic, strict=True):
        assert [n.removeprefix("fast/") for n in fast_report.files] == [
            n.removeprefix("generic/") for n in generic_report.files
        ]
        fast_rows = _records_by_pk(archive_storage, fast_report.files)
        generic_rows = _records_by_pk(archive_storage, generic_report.files)
        assert list(fast_rows) == list(generic_rows) and fast_rows
        for pk, record in generic_rows.items():
            assert _same_moments(fast_rows[pk], model) == _same_moments(record, model), pk
    first = _records_by_pk(archive_storage, fast[0].files)[data["messages"][0].pk]
    assert first["links"] == {"expense_ai.transaction.chat_message": sorted([data["tx"].pk, second_tx.pk])}
    assert _records_by_pk(archive_storage, fast[0].files)[tricky[0].pk]["fields"]["content"] == tricky[0].content
    # The generic run deleted the rows; the fast path's files bring them back as they were.
    report = restore("fast")
    assert report.total_restored == len(message_pks) + len(log_pks) == 12
    assert (_snapshot(ChatMessage, message_pks), _snapshot(StatementProcessingLog, log_pks)) == before
    assert sorted(Transaction.objects.filter(chat_message=data["messages"][0]).values_list("pk", flat=True)) == sorted(
        [data["tx"].pk, second_tx.pk]
    )


def test_fast_path_writes_decimals_as_python_does(user):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the fast path is PostgreSQL's")
    tx = Transaction.objects.create(user=user, date=dt.date(2024, 1, 15), amount=Decimal("-12.50"))
    amount = Transaction._meta.get_field("amount")
    expression = archive_mod._pg_column_json(amount, connection.ops.quote_name(amount.column))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT json_build_object('amount', {expression})::text FROM {Transaction._meta.db_table} WHERE id = %s",
            [tx.pk],
        )
        written = json.loads(cursor.fetchone()[0])["amount"]
    python = json.loads(archive_mod._dumps({"amount": Transaction.objects.get(pk=tx.pk).amount}))["amount"]
    assert isinstance(written, str) and written == python and Decimal(written) == Decimal("-12.50")


def test_json_null_comes_back_as_json_null(user, archive_storage):
    fields = {"user": user.pk, "related_transaction": None, "related_file": None, "conversation_id": "c",
              "message_type": "user", "content": "json null", "metadata": None, "status": "draft",
              "created_at": "2023-05-01T10:00:00+00:00", "updated_at": "2023-05-01T10:00:00.5+00:00"}
    line = json.dumps({"model": "expense_ai.chatmessage", "pk": 4242, "fields": fields})
    archive_storage.save(f"{PREFIX}/by-hand{archive_mod.SUFFIX}", ContentFile(gzip.compress(line.encode())))
    # metadata cannot be SQL NULL: restoring None as NULL would fail the whole file.
    assert restore(PREFIX).restored == {"expense_ai.chatmessage": 1}
    restored = ChatMessage.objects.get(pk=4242)
    assert restored.metadata is None
    assert restored.updated_at == dt.datetime(2023, 5, 1, 10, 0, 0, 500000, tzinfo=dt.timezone.utc)
