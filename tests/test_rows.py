"""The one serialiser of stored rows (``models/rows.py``): what the archive and merges write and read back."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from decimal import Decimal

import pytest
from django.db import models
from django.db.models.signals import post_save
from hypothesis import given
from hypothesis import strategies as st

from django_expense_ai.exceptions import UnarchivableValue
from django_expense_ai.models import ChatMessage, Transaction
from django_expense_ai.models.rows import (
    encode,
    field_value,
    from_values,
    insert_as_stored,
    plain,
    row_values,
    stored_fields,
)


def _json_round_trip(value):
    return json.loads(json.dumps(value, default=encode))


@pytest.mark.django_db
def test_row_values_are_every_stored_field_by_attribute_name_in_plain_json(user):
    tx = Transaction.objects.create(user=user, date=dt.date(2024, 3, 5), amount=Decimal("-12.34"), currency="EUR")
    tx.refresh_from_db()
    values = row_values(tx)
    assert list(values) == [f.attname for f in Transaction._meta.concrete_fields]
    assert (values["id"], values["user_id"], values["account_id"]) == (tx.pk, user.pk, None)
    assert (values["amount"], values["date"]) == ("-12.3400", "2024-03-05")
    assert values["created_at"] == tx.created_at.isoformat() and values["created_at"].endswith("+00:00")
    assert json.loads(json.dumps(values)) == values  # nothing left for an encoder to do


@pytest.mark.django_db
def test_from_values_gives_back_an_equal_row(user):
    tx = Transaction.objects.create(user=user, date=dt.date(2024, 3, 5), amount=Decimal("-1.50"), currency="EUR")
    message = ChatMessage.objects.create(user=user, conversation_id="c", content="hi", related_transaction=tx,
                                         metadata={"amount": "1.50", "nested": [1, None]})
    for row in (Transaction.objects.get(pk=tx.pk), ChatMessage.objects.get(pk=message.pk)):
        copy = from_values(type(row), json.loads(json.dumps(row_values(row))))
        for f in stored_fields(type(row)):
            assert getattr(copy, f.attname) == getattr(row, f.attname), f.name


@pytest.mark.django_db
def test_fields_a_stored_row_lacks_keep_their_defaults(user):
    tx = Transaction.objects.create(user=user, date=dt.date(2024, 3, 5), amount=Decimal("-1"), currency="EUR")
    values = row_values(tx)
    del values["exclusion_overridden"], values["notes"]
    copy = from_values(Transaction, values)
    assert (copy.exclusion_overridden, copy.notes, copy.pk) == (False, "", tx.pk)


@pytest.mark.django_db
def test_insert_as_stored_keeps_ids_and_stamps_and_says_raw_to_receivers(user):
    tx = Transaction.objects.create(user=user, date=dt.date(2024, 3, 5), amount=Decimal("-1"), currency="EUR")
    Transaction.objects.filter(pk=tx.pk).update(created_at=dt.datetime(2020, 1, 2, 3, 4, 5, 6, tzinfo=dt.timezone.utc))
    pk = tx.pk
    values = row_values(Transaction.objects.get(pk=pk))
    tx.delete()
    heard = []

    def receiver(sender, instance, created, raw, **kwargs):
        heard.append((instance.pk, created, raw))

    post_save.connect(receiver, sender=Transaction)
    try:
        insert_as_stored([from_values(Transaction, values)])
    finally:
        post_save.disconnect(receiver, sender=Transaction)
    back = Transaction.objects.get(pk=pk)
    assert back.created_at == dt.datetime(2020, 1, 2, 3, 4, 5, 6, tzinfo=dt.timezone.utc)
    assert row_values(back) == values
    assert heard == [(pk, True, True)]


_FIELDS_AND_VALUES = st.one_of(
    st.tuples(st.just(models.DecimalField(max_digits=15, decimal_places=4)),
              st.decimals(min_value=-10**10, max_value=10**10, places=4)),
    st.tuples(st.just(models.DateTimeField()), st.datetimes(timezones=st.just(dt.timezone.utc))),
    st.tuples(st.just(models.DateField()), st.dates()),
    st.tuples(st.just(models.TimeField()), st.times()),
    st.tuples(st.just(models.UUIDField()), st.uuids()),
    st.tuples(st.just(models.BinaryField()), st.binary(max_size=64)),
    st.tuples(st.just(models.DurationField()),
              st.timedeltas(min_value=dt.timedelta(days=-10**4), max_value=dt.timedelta(days=10**4))),
    st.tuples(st.just(models.JSONField(null=True)),
              st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner,
                                                                                        max_size=3),
                           max_leaves=8)),
)


@given(_FIELDS_AND_VALUES)
def test_every_written_value_reads_back_to_itself(field_and_value):
    field, value = field_and_value
    back = field_value(field, _json_round_trip(plain(value)))
    assert (bytes(back) if isinstance(field, models.BinaryField) else back) == value


def test_json_null_in_a_column_that_cannot_be_null_stays_json_null():
    back = field_value(models.JSONField(), None)
    assert isinstance(back, models.Value) and back.value is None
    assert field_value(models.JSONField(null=True), None) is None


def test_values_of_other_types_are_refused():
    with pytest.raises(UnarchivableValue, match="Cannot store a value of type object"):
        plain(object())
    assert plain(uuid.UUID(int=1)) == "00000000-0000-0000-0000-000000000001"
