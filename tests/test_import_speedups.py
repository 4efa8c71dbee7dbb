"""The import pipeline's fast paths give exactly what the plain paths give.

* ``models.bulk``: PostgreSQL ``COPY`` writes the same rows as ``bulk_create``
  and is all-or-nothing; ``instance_builder`` builds what keyword construction builds;
* ``validation.validate_rows`` carries every field of a row over;
* the PDF table reader's money-token scan and ``parse_amount``'s plain-amount
  shortcut agree with the straightforward readings (property tests).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import DataError, connection
from hypothesis import example, given, settings
from hypothesis import strategies as st

from django_expense_ai.models import Account, Transaction, UploadedFile, bulk
from django_expense_ai.statements import import_statement, validation
from django_expense_ai.statements.formats import parse_amount, pdf
from django_expense_ai.statements.types import StatementRow

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the COPY fast path exists on PostgreSQL only"
)
#: Columns that differ between two inserts of the same data by nature.
VOLATILE = {"id", "created_at", "updated_at", "uploaded_file"}


def _transactions(user, account, uploaded_file, count):
    build = bulk.instance_builder(Transaction, user_id=user.pk, uploaded_file_id=uploaded_file.pk, source="statement")
    out = []
    for i in range(count):
        tx = build(
            date=dt.date(2024, 1, 1) + dt.timedelta(days=i % 40),
            # Varied exponents and signs: "1.5", "-12.3400", "0", "1E+2".
            amount=[Decimal("1.5"), Decimal("-12.3400"), Decimal(0), Decimal("1E+2"), Decimal(-i) / 100][i % 5],
            currency=["USD", "EUR", "JPY"][i % 3],
            description=f"Café «{i}» ‘quoted’ \\ back\tslash, comma" if i % 4 else "",
            account_id=account.pk if account is not None and i % 2 else None,
            bank_id=f"FIT{i}" if i % 3 else "",
            import_fingerprint=f"{i:064x}",
        )
        if i % 6 == 0:
            tx.expense_classification = "one_time"
        tx.exclude_from_totals = i % 6 == 0
        tx.is_recurring = i % 7 == 0
        out.append(tx)
    return out


def _rows(uploaded_file):
    fields = [f.name for f in Transaction._meta.concrete_fields if f.name not in VOLATILE]
    return list(Transaction.objects.filter(uploaded_file=uploaded_file).order_by("pk").values(*fields))


@postgres_only
@pytest.mark.django_db
def test_copy_writes_the_rows_bulk_create_writes(user):
    account = Account.objects.create(user=user, name="Checking")
    via_copy, via_orm = (UploadedFile.objects.create(user=user, filename=f"{n}.csv") for n in ("copy", "orm"))
    count = bulk.COPY_MIN_ROWS + 20
    before = Transaction.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    copied = bulk.insert_all(_transactions(user, account, via_copy, count))
    Transaction.objects.bulk_create(_transactions(user, account, via_orm, count))

    assert _rows(via_copy) == _rows(via_orm)
    assert len(_rows(via_copy)) == count
    # The instances are saved ones, with the ids and timestamps the rows have.
    stored = {t.pk: t for t in Transaction.objects.filter(uploaded_file=via_copy)}
    assert [t.pk for t in copied] == sorted(stored) and min(stored) > before
    for tx in copied[:5]:
        assert not tx._state.adding and tx._state.db == "default"
        assert (tx.created_at, tx.updated_at, tx.amount) == (
            stored[tx.pk].created_at, stored[tx.pk].updated_at, stored[tx.pk].amount)
    assert all(t.created_at is not None for t in stored.values())


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_row_the_database_refuses_leaves_none_of_the_copy_behind(user):
    uploaded = UploadedFile.objects.create(user=user, filename="x.csv")
    objs = _transactions(user, None, uploaded, bulk.COPY_MIN_ROWS + 5)
    objs[-1].amount = Decimal(10) ** 12  # numeric(15, 4) overflows: the last row fails
    with pytest.raises(DataError):
        bulk.insert_all(objs)
    assert not Transaction.objects.filter(uploaded_file=uploaded).exists()


@postgres_only
@pytest.mark.django_db
def test_pipeline_rows_are_the_same_through_copy_and_through_the_orm(user, django_user_model, monkeypatch):
    lines = ["Date,Description,Amount"] + [
        f"2024-02-{1 + i % 28:02d},SHOP {i} PURCHASE,{Decimal(-(i * 37 % 500)) / 4}" for i in range(150)
    ]
    data = ("\n".join(lines) + "\n").encode()
    fast = import_statement(user, data, filename="a.csv")
    monkeypatch.setattr(bulk, "COPY_MIN_ROWS", 10**9)  # force bulk_create
    other = django_user_model.objects.create_user(username="orm", password="pw")
    slow = import_statement(other, data, filename="a.csv")
    assert fast.status == slow.status == "completed"
    assert len(fast.created_transactions) == len(slow.created_transactions) == 150

    def rows(uf):
        return [{k: v for k, v in r.items() if k != "user"} for r in _rows(uf)]

    assert rows(fast) == rows(slow)
    assert [t.pk for t in fast.created_transactions] == sorted(
        Transaction.objects.filter(uploaded_file=fast).values_list("pk", flat=True))


@pytest.mark.django_db
def test_insert_all_small_batches_and_other_databases_use_bulk_create(user):
    uploaded = UploadedFile.objects.create(user=user, filename="x.csv")
    created = bulk.insert_all(_transactions(user, None, uploaded, 3))
    assert Transaction.objects.filter(uploaded_file=uploaded).count() == 3
    assert all(t.pk is None or not t._state.adding for t in created)
    assert bulk.insert_all([]) == []
    with pytest.raises(ValueError):
        bulk.insert_all([Transaction.objects.first()])  # already saved


def test_instance_builder_builds_what_keyword_construction_builds():
    common = {"user_id": 7, "source": "statement"}
    values = {"date": dt.date(2024, 5, 1), "amount": Decimal("-3.10"), "description": "X", "bank_id": "B"}
    built = bulk.instance_builder(Transaction, **common)(**values)
    plain = Transaction(**common, **values)
    for f in Transaction._meta.concrete_fields:
        assert getattr(built, f.attname) == getattr(plain, f.attname), f.attname
    assert built._state.adding
    with pytest.raises(TypeError):
        bulk.instance_builder(Transaction, user=7)  # attribute names only (user_id)
    with pytest.raises(TypeError):
        bulk.instance_builder(Transaction)(no_such_field=1)


# -- validation --------------------------------------------------------------------


def test_validated_rows_keep_every_other_field():
    # Every field set to a non-default value, so a field the rebuild forgot shows up.
    row = StatementRow(date=dt.date(2024, 3, 1), description="Rent", amount=Decimal("-1200.5"),
                       currency=None, balance=Decimal("10.00"), bank_id="FIT-1",
                       posted_date=dt.date(2024, 3, 2), merchant="Landlord BV")
    assert {f.name for f in dataclasses.fields(StatementRow)} == {
        "date", "description", "amount", "currency", "balance", "bank_id", "posted_date", "merchant"}
    report = validation.validate_rows([row], currency=None, fallback_currency="usd", today=dt.date(2024, 4, 1))
    assert report.rows == (dataclasses.replace(row, currency="USD", amount=Decimal("-1200.50")),)
    assert str(report.rows[0].amount) == "-1200.50"
    complete = StatementRow(date=dt.date(2024, 3, 1), description="Rent", amount=Decimal("-1.00"), currency="USD")
    again = validation.validate_rows([complete], currency=None, fallback_currency="EUR", today=dt.date(2024, 4, 1))
    assert again.rows[0] is complete  # nothing to change: the row is kept


# -- PDF table reader: the fast scans agree with the straightforward ones ------------------


def _money_tokens_reference(line: str, from_pos: int) -> list[tuple[int, int]]:
    """The trailing amounts found by scanning the whole line (what _money_tokens must equal)."""
    tokens = list(pdf._MONEY.finditer(line, from_pos))
    trailing: list[re.Match[str]] = []
    cursor = len(line.rstrip())
    for m in reversed(tokens):
        if line[m.end():cursor].strip():
            break
        trailing.insert(0, m)
        cursor = m.start()
    return [m.span("m") for m in trailing]


_MONEY_PIECES = [
    " ", "  ", "     ", "\t", "\u00a0", "1,234.56", "(12.00)", "12.00-", "12.00 CR", " DR", "$1.00", "US$ 3.00",
    "1 234,56", "42.07", "-7.5", "0.99Dr", "SHOP", "12'345.00", "\u2212 3.10", "+4.00", "999", ".00", ",",
    "1.000,00", "02/01/2024", "x", "(", ")", "-", "5",
]
_PIECES = st.sampled_from(_MONEY_PIECES)


@settings(max_examples=600, deadline=None)
@given(st.lists(_PIECES, max_size=14).map("".join), st.integers(min_value=0, max_value=60))
def test_money_tokens_match_a_whole_line_scan(line, from_pos):
    from_pos = min(from_pos, len(line))
    assert [m.span("m") for m in pdf._money_tokens(line, from_pos)] == _money_tokens_reference(line, from_pos)


@settings(max_examples=600, deadline=None)
@given(
    st.lists(st.sampled_from(["-", "0", "1", "2", "9", "12", "345", ",", ",000", ".", ".5", ".50", "\u2212", " "]),
             min_size=1, max_size=8).map("".join),
    st.sampled_from([None, ".", ","]),
)
def test_parse_amount_shortcut_reads_what_the_general_reader_reads(text, decimal_separator):
    # Turning the shortcut off (a non-str input takes the general path) must change nothing.
    class Text(str):
        pass

    fast = parse_amount(text, decimal_separator=decimal_separator)
    general = parse_amount(Text(text), decimal_separator=decimal_separator)
    assert repr(fast) == repr(general)


@postgres_only
def test_values_copy_writes_as_they_are_are_what_the_fields_prepare():
    # The pass-through table in bulk.py claims these values come out of
    # get_db_prep_save unchanged (as COPY writes them): check it on this Django.
    samples = {
        str: ["", "x", "Café «1»"],
        dt.date: [dt.date(2024, 2, 29)],
        Decimal: [Decimal("1.5"), Decimal("-12.3400"), Decimal("0"), Decimal("1E+2")],
        bool: [True, False],
        int: [0, -5, 2**31 - 1],
    }
    checked = 0
    for field in Transaction._meta.concrete_fields:
        for kind in bulk._passthrough_types(field):
            for value in samples[kind]:
                prepared = field.get_db_prep_save(value, connection)
                assert str(prepared) == str(value) and prepared == value, (field.name, value, prepared)
                checked += 1
    assert checked > 20


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_non_finite_amount_is_refused_as_bulk_create_refuses_it(user):
    from django.core.exceptions import ValidationError

    uploaded = UploadedFile.objects.create(user=user, filename="nan.csv")
    objs = _transactions(user, None, uploaded, bulk.COPY_MIN_ROWS + 5)
    objs[3].amount = Decimal("NaN")
    with pytest.raises(ValidationError):
        bulk.insert_all(objs)
    assert not Transaction.objects.filter(uploaded_file=uploaded).exists()


# -- PDF parse, validation and de-dup shortcuts (issue 5, second round) ------------------

# The same pieces less the unprintable ones (tab, no-break space), plus two more.
_PRINTABLE_PIECES = st.sampled_from([p for p in _MONEY_PIECES if p.isprintable()] + ["R", "€ 2,00"])


@settings(max_examples=800, deadline=None)
@given(st.lists(_PRINTABLE_PIECES, max_size=14).map("".join), st.integers(min_value=0, max_value=60))
def test_money_tokens_of_printable_lines_match_a_whole_line_scan(line, from_pos):
    # Printable lines take the str-method path, the others the regex runs: both must agree.
    from_pos = min(from_pos, len(line))
    assert line.isprintable()
    assert [m.span("m") for m in pdf._money_tokens(line, from_pos)] == _money_tokens_reference(line, from_pos)
    assert [m.group("m") for m in pdf._money_tokens(line, from_pos)] == [
        m.group("m") for m in pdf._trailing_amounts(
            line, from_pos, reversed([r.span() for r in pdf._TEXT_RUN.finditer(line, from_pos)]))
    ]


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("aZ09 _-.é\u00a0\t")), max_size=12))
@example("x  y")
@example(" a")
@example("a ")
@example("a_b")
def test_description_shortcut_normalises_as_the_general_reading(text):
    from django_expense_ai.statements import dedup

    general = " ".join(dedup._NON_WORDS.split(
        text.lower() if text.isascii() else __import__("unicodedata").normalize("NFKC", text).casefold()
    )).strip()
    assert dedup.normalise_description(text) == general


@settings(max_examples=500, deadline=None)
@given(st.decimals(allow_nan=True, allow_infinity=False, places=None, min_value=-10**12, max_value=10**12)
       | st.decimals(places=2, min_value=-10**12, max_value=10**12))
def test_amount_key_shortcut_prints_what_money_str_prints(amount):
    from django_expense_ai.money import money_str
    from django_expense_ai.statements import dedup

    if amount.is_nan():
        return
    assert dedup._amount_key(amount) == money_str(amount.quantize(Decimal("0.0001")))


def test_batch_fingerprints_are_the_single_ones():
    from django_expense_ai.statements import dedup

    rows = [
        StatementRow(date=dt.date(2024, 1, 1 + i % 3), description=d, amount=Decimal(a))
        for i, (d, a) in enumerate([("Shop 1", "-1.00"), ("Café  X", "2.5"), ("", "0"), ("A_B", "-0.00"),
                                    ("Shop 1", "-1.00"), ("x" * 600, "1E+2")])
    ]
    for account_id in (None, 7, "abc"):
        assert dedup._fingerprints(account_id, rows) == tuple(
            dedup.fingerprint(account_id, r.date, r.amount, r.description) for r in rows
        )


@pytest.mark.parametrize("row", [
    StatementRow(date=dt.date(2024, 3, 1), description="ok", amount=Decimal("-1.00"), currency="EUR"),
    StatementRow(date=dt.date(2024, 3, 1), description="no currency", amount=Decimal("-1.00")),
    StatementRow(date=dt.date(2024, 3, 1), description="lower", amount=Decimal("-1.00"), currency="eur"),
    StatementRow(date=dt.date(2024, 3, 1), description="short", amount=Decimal("-1.5"), currency="EUR"),
    StatementRow(date=dt.date(2024, 3, 1), description="long", amount=Decimal("-1.500"), currency="EUR"),
    StatementRow(date=dt.date(2024, 3, 1), description="yen", amount=Decimal("-1.00"), currency="JPY"),
    StatementRow(date=dt.date(1969, 3, 1), description="old", amount=Decimal("1.00")),
    StatementRow(date=dt.date(2024, 3, 1), description="huge", amount=Decimal("100000000000.00")),
    StatementRow(date=dt.date(2024, 3, 1), description="inf", amount=Decimal("Infinity")),
    StatementRow(date=dt.date(2024, 3, 1), description="bool", amount=True),  # type: ignore[arg-type]
    StatementRow(date=dt.date(2024, 3, 1), description="bad code", amount=Decimal("1.00"), currency="XYZ"),
])
def test_validation_fast_path_decides_as_check_row(row):
    today = dt.date(2024, 4, 1)
    report = validation.validate_rows([row], currency=None, fallback_currency="EUR", today=today)
    code = (row.currency or "EUR").upper()
    from django_expense_ai.money import is_known_currency

    checked = validation._check_row(0, row, code, today + dt.timedelta(days=366), is_known_currency(code))
    if isinstance(checked, validation.RowProblem):
        assert report.problems == (checked,) and not report.rows
    else:
        (got,) = report.rows
        assert got == dataclasses.replace(row, currency=code, amount=checked)
        assert got.amount.as_tuple() == checked.as_tuple()
