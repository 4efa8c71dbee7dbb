"""Two imports of the same statement completing at once suggest their merge once.

Both imports are held after their completion stage (a plugin waits on a
barrier), so each file is ``completed`` and sees the other when duplicate
detection runs. Detection is then held once more, right after it read the
pairs that already have a merge (:func:`merges._existing_pairs`), so both
threads have read "no merge yet" before either creates one: without the lock
on the user's row and the re-check under it, both would create a merge for
the pair. Real threads and connections: PostgreSQL and MariaDB (in-memory
SQLite gives each thread its own empty database); on MariaDB also under
REPEATABLE READ, the server's own default (Django asks for READ COMMITTED).
"""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection, connections

from django_expense_ai import hookimpl
from django_expense_ai.models import Account, StatementMerge, UploadedFile
from django_expense_ai.statements import import_statement, merges
from django_expense_ai.statements.merges import detect_duplicate_statements, transition_merge

pytestmark = pytest.mark.django_db(transaction=True)

START = dt.date(2024, 3, 1)
#: 20 distinct card payments over March.
ROWS = [(START + dt.timedelta(days=i), f"-{12 + i}.{i:02d}", f"Card payment shop {i}") for i in range(20)]


def _csv() -> bytes:
    lines = ["Date,Description,Amount"] + [f"{d.isoformat()},{desc},{amt}" for d, amt, desc in ROWS]
    return ("\n".join(lines) + "\n").encode()


def _ofx() -> bytes:
    """The same statement as :func:`_csv`, downloaded as OFX: other bytes, the same rows."""
    trns = "".join(
        f"<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>{d:%Y%m%d}<TRNAMT>{amt}<FITID>F{i}<NAME>{desc}</STMTTRN>"
        for i, (d, amt, desc) in enumerate(ROWS)
    )
    return (
        "OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\n\n<OFX><BANKMSGSRSV1><STMTTRNRS><STMTRS><CURDEF>EUR"
        "<BANKACCTFROM><BANKID>1<ACCTID>12345678<ACCTTYPE>CHECKING</BANKACCTFROM>"
        f"<BANKTRANLIST><DTSTART>20240301<DTEND>20240331{trns}</BANKTRANLIST>"
        "</STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>\n"
    ).encode()


class _HoldAfterCompletion:
    """Keeps every import waiting after its completion stage until all have completed."""

    def __init__(self, parties: int, broken: list[BaseException]) -> None:
        self.barrier = threading.Barrier(parties)
        self.broken = broken

    @hookimpl
    def statement_stage_completed(self, uploaded_file, stage, status, details):
        if stage == "completion" and status == "success":
            try:
                self.barrier.wait(timeout=30)
            except threading.BrokenBarrierError as err:  # the pipeline would only log it
                self.broken.append(err)
                raise


def _isolation_level() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT @@SESSION.tx_isolation")
        return cursor.fetchone()[0]


@pytest.mark.parametrize("isolation", ["default", "repeatable read"])
def test_imports_completing_at_once_suggest_the_pair_once(user, register_plugin, monkeypatch, isolation):
    if connection.vendor == "sqlite":
        pytest.skip("in-memory SQLite gives each thread its own empty database; run on PostgreSQL/MariaDB")
    if isolation != "default":
        if connection.vendor != "mysql":
            pytest.skip("REPEATABLE READ with locking reads is checked on MariaDB/MySQL (InnoDB) only")
        # The threads open their own connections from these settings.
        monkeypatch.setitem(connection.settings_dict["OPTIONS"], "isolation_level", isolation)
    account = Account.objects.create(user=user, name="Current", currency="EUR")
    problems: list[BaseException] = []
    register_plugin(_HoldAfterCompletion(2, problems))

    # Hold detection after it read the existing pairs, until both threads have.
    pairs_read = threading.Barrier(2)
    read_pairs = merges._existing_pairs
    levels: list[str] = []

    def held_pairs(file_id):
        pairs = read_pairs(file_id)
        if connection.vendor == "mysql":
            levels.append(_isolation_level())
        try:
            pairs_read.wait(timeout=30)
        except threading.BrokenBarrierError as err:
            problems.append(err)
            raise
        return pairs

    monkeypatch.setattr(merges, "_existing_pairs", held_pairs)
    # Record what each detection returned (the pipeline ignores it and only logs a failure).
    detect = merges.detect_duplicate_statements
    returned: dict = {}

    def recorded(uploaded_file):
        try:
            returned[uploaded_file.pk] = detect(uploaded_file)
        except BaseException as err:
            problems.append(err)
            raise
        return returned[uploaded_file.pk]

    # The built-in statement_processed plugin (statements/duplicates.py) is what calls it.
    monkeypatch.setattr(merges, "detect_duplicate_statements", recorded)

    statements = [(_csv(), "march.csv"), (_ofx(), "march.ofx")]
    files: list = [None, None]

    def worker(index: int) -> None:
        data, name = statements[index]
        try:
            files[index] = import_statement(user, data, filename=name, account=account)
        except BaseException as err:  # reported below
            problems.append(err)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    assert not any(thread.is_alive() for thread in threads)
    assert not problems, problems

    first, second = files
    assert first.status == second.status == "completed"
    if isolation != "default":
        assert levels == ["REPEATABLE-READ"] * 2
    # Both detections compared the pair; only one merge was made, and only its maker reports it.
    merge = StatementMerge.objects.get()
    assert merge.status == "suggested" and merge.similarity_score > 80
    assert {merge.primary_file_id, *merge.duplicate_files.values_list("pk", flat=True)} == {first.pk, second.pk}
    assert sorted(returned) == sorted([first.pk, second.pk])
    assert sorted(len(found) for found in returned.values()) == [0, 1]
    assert [m.pk for found in returned.values() for m in found] == [merge.pk]
    older, newer = sorted(UploadedFile.objects.filter(pk__in=[first.pk, second.pk]), key=lambda f: (f.created_at, f.pk))
    assert newer.duplicate_of_id == older.pk and newer.duplicate_confidence == merge.similarity_score
    assert older.duplicate_of_id is None


@pytest.mark.django_db
def test_a_pair_suggested_since_the_first_read_is_not_suggested_again(user, monkeypatch):
    # The re-check under the lock, without threads: detection read its pairs
    # before the other merge was made (here: it reads none), then finds it.
    account = Account.objects.create(user=user, name="Current", currency="EUR")
    first = import_statement(user, _csv(), filename="march.csv", account=account)
    second = import_statement(user, _ofx(), filename="march.ofx", account=account)
    merge = StatementMerge.objects.get()
    transition_merge(merge, "rejected", user=user)  # any status counts
    monkeypatch.setattr(merges, "_existing_pairs", lambda file_id: set())
    assert detect_duplicate_statements(second) == []
    assert detect_duplicate_statements(first) == []
    assert list(StatementMerge.objects.values_list("pk", "status")) == [(merge.pk, "rejected")]
