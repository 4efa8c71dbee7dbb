"""REST API: chat submit, suggestions confirm/reject, history, mention suggestions."""

from __future__ import annotations

import pytest

from django_expense_ai.chat import mention_suggestions
from django_expense_ai.models import ChatMessage, Group, GroupMember, Transaction

from .api_helpers import BASE, assert_problem, client_for

pytestmark = pytest.mark.django_db
UNSURE = "@zed @yan 12 coffee 5"  # low confidence: a suggestion awaiting confirmation


@pytest.fixture
def api(user):
    return client_for(user)


def test_submit_creates_the_transaction_and_reply(api, user):
    r = api.post(BASE + "chat/messages/", {"text": "$12.50 lunch"}, format="json")
    assert r.status_code == 201, r.data
    assert r.data["message"]["status"] == "completed"
    tx = Transaction.objects.get(user=user)
    assert r.data["transaction"]["id"] == tx.pk and r.data["transaction"]["amount"] == "-12.50"
    assert r.data["reply"]["message_type"] == "system" and r.data["reply"]["content"]


def test_suggestion_then_confirm_or_reject(api, user):
    r = api.post(BASE + "chat/messages/", {"text": UNSURE}, format="json")
    assert r.status_code == 201 and r.data["transaction"] is None
    assert r.data["message"]["awaiting_confirmation"] is True and r.data["reply"]["message_type"] == "suggestion"
    pk = r.data["message"]["id"]
    r = api.post(f"{BASE}chat/messages/{pk}/confirm/", {"amount": "45.00", "description": "beans"}, format="json")
    assert r.status_code == 200, r.data
    assert r.data["transaction"]["amount"] == "-45.00" and r.data["message"]["status"] == "completed"
    # confirming again is a conflict
    assert_problem(api.post(f"{BASE}chat/messages/{pk}/confirm/", {}, format="json"), 409, "InvalidTransition")
    pk2 = api.post(BASE + "chat/messages/", {"text": UNSURE}, format="json").data["message"]["id"]
    r = api.post(f"{BASE}chat/messages/{pk2}/reject/")
    assert r.status_code == 200 and r.data["message"]["status"] == "failed"
    assert Transaction.objects.filter(user=user).count() == 1


def test_history_is_paginated_newest_first_and_scoped(api, user, other_user):
    for i in range(4):
        api.post(BASE + "chat/messages/", {"text": f"${i + 1} thing {i}"}, format="json")
    client_for(other_user).post(BASE + "chat/messages/", {"text": "$9 secret"}, format="json")
    page = api.get(BASE + "chat/messages/", {"page_size": 3})
    assert page.status_code == 200 and len(page.data["results"]) == 3 and page.data["next"]
    everything = list(page.data["results"])
    while page.data["next"]:
        page = api.get(page.data["next"])
        everything += page.data["results"]
    expected = list(ChatMessage.objects.filter(user=user).order_by("-created_at", "-id").values_list("pk", flat=True))
    assert [m["id"] for m in everything] == expected
    assert "secret" not in str(everything)
    theirs = ChatMessage.objects.filter(user=other_user).first()
    assert_problem(api.get(f"{BASE}chat/messages/{theirs.pk}/"), 404)
    assert_problem(api.post(f"{BASE}chat/messages/{theirs.pk}/reject/"), 404)


def test_mention_suggestions_are_the_services(api, user, other_user):
    group = Group.objects.create(name="Flat mates", created_by=user)
    GroupMember.objects.create(group=group, user=other_user)
    for q in ("@", "@b", "@fl", "#", "#fo"):
        r = api.get(BASE + "chat/messages/mentions/", {"q": q})
        assert r.status_code == 200
        assert r.data == mention_suggestions(user, q, limit=10), q
    assert any(row["text"] == "@bob" for row in api.get(BASE + "chat/messages/mentions/", {"q": "@b"}).data)


def test_chat_submit_is_throttled_by_scope(api, settings):
    settings.EXPENSE_AI = {"API_THROTTLE_RATES": {"expense_ai_chat": "2/min"}}
    assert api.post(BASE + "chat/messages/", {"text": "$1 a"}, format="json").status_code == 201
    assert api.post(BASE + "chat/messages/", {"text": "$1 b"}, format="json").status_code == 201
    body = assert_problem(api.post(BASE + "chat/messages/", {"text": "$1 c"}, format="json"), 429, "throttled")
    assert body["detail"]
    assert api.get(BASE + "chat/messages/").status_code == 200  # reading is not the chat scope


def test_problem_for_bad_input(api):
    body = assert_problem(api.post(BASE + "chat/messages/", {}, format="json"), 400, "invalid")
    assert "text" in body["errors"]
