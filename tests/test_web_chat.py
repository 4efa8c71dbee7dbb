"""The chat page: history, the message box, autocomplete, suggestions, the chat switches."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from django_expense_ai.chat import submit_message
from django_expense_ai.models import ChatMessage, Transaction
from django_expense_ai.models.swappable import preferences_for
from tests.webdata import flatmates, make_person

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def author(django_user_model, user):
    """The author shares a group with alice (the ``user`` fixture)."""
    carol = make_person(django_user_model, "carol")
    flatmates(carol, user)
    return carol


def test_the_page_needs_a_login(client):
    response = client.get(reverse("expense_ai:chat"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_typing_a_mention_creates_the_transaction_and_the_split(client, author, user):
    client.force_login(author)
    response = client.post(reverse("expense_ai:chat"), {"text": "@alice $50 lunch at pizza place"}, follow=True)

    assert response.status_code == 200
    tx = Transaction.objects.get(user=author)
    assert tx.amount == Decimal("-50.00") and tx.description == "lunch at pizza place"
    owed = {s.participant.username: s.amount for s in tx.splits.select_related("participant")}
    assert owed == {"carol": Decimal("25.00"), "alice": Decimal("25.00")}
    page = response.content.decode()
    # The reply shows the transaction: amount with the currency's two places, who owes how much.
    assert "-50.00 USD" in page and "Alice owes 25.00 USD" in page and "25.0000" not in page


def test_an_htmx_post_returns_just_the_new_messages(client, author):
    client.force_login(author)
    response = client.post(reverse("expense_ai:chat"), {"text": "@alice $50 lunch at pizza place"}, **HTMX)

    page = response.content.decode()
    assert response.status_code == 200 and "<html" not in page
    assert page.count('class="ea-msg ') == 2  # the user's message and the reply
    assert page.index("@alice $50 lunch") < page.index("Alice owes 25.00 USD")


def test_history_is_newest_at_the_bottom_and_older_messages_load_on_scroll(client, author, settings):
    settings.EXPENSE_AI = {"CHAT_PAGE_SIZE": 4}
    for i in range(5):
        submit_message(author, f"${i + 1} coffee number{i}")
    client.force_login(author)

    page = client.get(reverse("expense_ai:chat")).content.decode()
    assert "number4" in page and "number3" in page and "number2" not in page
    assert page.index("number3") < page.index("number4")  # newest last
    oldest = ChatMessage.objects.filter(user=author, content="$4 coffee number3").get().pk
    older_url = f"{reverse('expense_ai:chat_history')}?before={oldest}"
    assert older_url.replace("&", "&amp;") in page or older_url in page

    older = client.get(older_url).content.decode()
    assert "number2" in older and "number4" not in older


def test_autocomplete_offers_the_people_of_a_shared_group_and_never_strangers(client, author, django_user_model):
    make_person(django_user_model, "alina")  # shares nothing with carol
    client.force_login(author)

    results = client.get(reverse("expense_ai:chat_mentions"), {"q": "@al"}).json()["results"]

    assert [r["text"] for r in results if r["type"] == "user"] == ["@alice"]
    tags = client.get(reverse("expense_ai:chat_mentions"), {"q": "#gro"}).json()["results"]
    assert any(r["text"].startswith("#gro") for r in tags)


def test_a_suggestion_is_confirmed_or_rejected_on_the_page(client, author):
    first = submit_message(author, "@nobody taxi 20 or 30")
    second = submit_message(author, "@nobody bus 20 or 30")
    assert first.reply.message_type == "suggestion" and second.reply.message_type == "suggestion"
    client.force_login(author)
    page = client.get(reverse("expense_ai:chat")).content.decode()
    assert reverse("expense_ai:chat_confirm", args=[first.reply.pk]) in page

    response = client.post(reverse("expense_ai:chat_confirm", args=[first.reply.pk]), **HTMX)
    assert response.status_code == 200 and "-30.00 USD" in response.content.decode()
    assert Transaction.objects.filter(user=author, amount=Decimal("-30.00")).count() == 1

    client.post(reverse("expense_ai:chat_reject", args=[second.reply.pk]))
    second.message.refresh_from_db()
    assert second.message.status == "failed"
    assert Transaction.objects.filter(user=author).count() == 1


def test_another_users_suggestion_is_not_found(client, author, user):
    waiting = submit_message(author, "@nobody taxi 20 or 30")
    client.force_login(user)

    for name in ("expense_ai:chat_confirm", "expense_ai:chat_reject"):
        assert client.post(reverse(name, args=[waiting.reply.pk])).status_code == 404
    waiting.message.refresh_from_db()
    assert waiting.message.status == "processing"


def test_quick_add_mode_and_parser_are_switched_on_the_page(client, author):
    client.force_login(author)
    response = client.post(reverse("expense_ai:chat_preferences"),
                           {"quick_add_mode": "shortcut", "default_chat_parser": "system"}, **HTMX)
    assert response.status_code == 200
    prefs = preferences_for(author)
    prefs.refresh_from_db()
    assert (prefs.quick_add_mode, prefs.default_chat_parser) == ("shortcut", "system")
    bad = client.post(reverse("expense_ai:chat_preferences"), {"quick_add_mode": "telepathy",
                                                               "default_chat_parser": "system"}, **HTMX)
    assert bad.status_code == 400
