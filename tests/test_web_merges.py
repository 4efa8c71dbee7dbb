"""The merges pages: suggested merges, the side-by-side review in words, approve/reject/complete/undo."""

from __future__ import annotations

import pytest
from django.urls import reverse

from django_expense_ai.models import StatementMerge, Transaction
from django_expense_ai.statements import import_statement

pytestmark = pytest.mark.django_db


REWORDED = {3: "AMZN Mktp UK*2K3", 7: "PAYPAL *XYZ 88", 11: "SQ *FOOD TRUCK"}


def _csv(reword: bool = False) -> bytes:
    lines = ["Date,Description,Amount"]
    for i in range(20):
        description = REWORDED.get(i, f"Card payment shop {i}") if reword else f"Card payment shop {i}"
        lines.append(f"2026-03-{i + 1:02d},{description},-{12 + i}.{i:02d}")
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture
def merge(user):
    """The March statement, then a second download with three rows worded differently."""
    full = import_statement(user, _csv(), filename="full.csv")
    again = import_statement(user, _csv(reword=True), filename="again.csv")
    assert len(again.created_transactions) == 3  # the row de-dup missed these
    found = StatementMerge.objects.get(merged_by=user)
    assert {found.primary_file_id, *found.duplicate_files.values_list("pk", flat=True)} == {full.pk, again.pk}
    return found


def test_suggested_merges_are_listed_and_reviewed_in_words(client, user, merge):
    client.force_login(user)

    listing = client.get(reverse("expense_ai:merges")).content.decode()
    assert reverse("expense_ai:merge_review", args=[merge.pk]) in listing and "full.csv" in listing

    page = client.get(reverse("expense_ai:merge_review", args=[merge.pk])).content.decode()
    assert "rows match rows of the primary" in page and "overlap by" in page and "out of 100" in page
    assert "AMZN Mktp UK*2K3" in page and "Card payment shop 3" in page  # side by side
    assert 'value="approve"' in page and 'value="complete"' not in page


def test_approve_then_complete_with_a_strategy_then_undo(client, user, merge):
    client.force_login(user)
    url = reverse("expense_ai:merge_review", args=[merge.pk])
    before = Transaction.objects.filter(user=user).count()

    client.post(url, {"action": "approve"})
    merge.refresh_from_db()
    assert merge.status == "approved"
    assert 'value="complete"' in client.get(url).content.decode()

    response = client.post(url, {"action": "complete", "strategy": "merge_all"}, follow=True)
    merge.refresh_from_db()
    assert merge.status == "completed" and merge.merge_strategy == "merge_all"
    removed = len(merge.details["removed"])
    assert removed > 0 and Transaction.objects.filter(user=user).count() == before - removed
    assert f"{removed} duplicate transaction(s) removed" in response.content.decode()

    client.post(url, {"action": "undo"})
    merge.refresh_from_db()
    assert merge.status == "approved" and Transaction.objects.filter(user=user).count() == before


def test_reject(client, user, merge):
    client.force_login(user)
    client.post(reverse("expense_ai:merge_review", args=[merge.pk]), {"action": "reject"})
    merge.refresh_from_db()
    assert merge.status == "rejected"


def test_a_move_the_status_does_not_allow_is_refused_with_a_message(client, user, merge):
    client.force_login(user)
    response = client.post(reverse("expense_ai:merge_review", args=[merge.pk]), {"action": "undo"}, follow=True)
    merge.refresh_from_db()
    assert merge.status == "suggested" and "ea-flash-error" in response.content.decode()


def test_another_users_merge_is_not_found(client, other_user, merge):
    client.force_login(other_user)
    url = reverse("expense_ai:merge_review", args=[merge.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"action": "approve"}).status_code == 404
    merge.refresh_from_db()
    assert merge.status == "suggested"
    assert "full.csv" not in client.get(reverse("expense_ai:merges")).content.decode()
