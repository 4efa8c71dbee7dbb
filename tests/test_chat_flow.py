"""Chat quick entry end to end: submit_message, suggestions, the three quick-add
modes (shortcut, normal, AI with the fake provider and its fallback), hooks,
atomicity, and text that is data.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from django_expense_ai import hookimpl
from django_expense_ai.ai import calls as ai
from django_expense_ai.chat import confirm_suggestion, reject_suggestion, submit_message
from django_expense_ai.exceptions import (
    ChatError,
    InvalidTransition,
    ProviderAuthError,
    ProviderUnavailable,
)
from django_expense_ai.ledger.reference_data import ensure_system_categories
from django_expense_ai.models import (
    Account,
    Category,
    ChatMessage,
    Group,
    GroupMember,
    Transaction,
    TransactionMention,
    TransactionSplit,
)
from django_expense_ai.models.swappable import ai_settings_for, get_user_preferences_model
from django_expense_ai.providers.base import ChatEntry
from django_expense_ai.providers.fake import FakeProvider

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(user, django_user_model):
    make = django_user_model.objects.create_user
    john = make(username="john", first_name="John", password="pw")
    mary = make(username="mary", first_name="Mary", password="pw")
    flat = Group.objects.create(name="Flatmates", created_by=user)
    for member in (user, john, mary):
        GroupMember.objects.create(group=flat, user=member)
    ensure_system_categories()
    return {"john": john, "mary": mary, "flat": flat, "food": Category.objects.get(user=None, key="food")}


@pytest.fixture
def mode(user):
    def set_mode(quick_add_mode, provider=None):
        get_user_preferences_model().objects.update_or_create(user=user, defaults={"quick_add_mode": quick_add_mode})
        if provider:
            settings_row = ai_settings_for(user)
            settings_row.active_parser_provider = provider
            settings_row.save()

    return set_mode


@pytest.fixture
def fake():
    FakeProvider.reset()
    yield FakeProvider
    FakeProvider.reset()


def replies(message):
    return list(
        ChatMessage.objects.filter(conversation_id=message.conversation_id, metadata__reply_to=message.pk)
        .order_by("pk")
        .values_list("message_type", "content")
    )


# -- the happy path -----------------------------------------------------------------


def test_spec_sample(user, people):
    result = submit_message(user, "@john $50 lunch at pizza place")
    message, tx = result.message, result.transaction
    message.refresh_from_db()
    assert message.status == "completed" and message.message_type == "user"
    assert message.content == "@john $50 lunch at pizza place"
    meta = message.metadata
    assert meta["mentions"] == [
        {"type": "user", "text": "@john", "name": "john", "resolved": True, "id": people["john"].pk,
         "user_id": people["john"].pk}
    ]  # fmt: skip
    assert meta["parsed"]["amount"] == "50.00" and isinstance(meta["parsed"]["amount"], str)
    assert {k: meta["parsed"][k] for k in ("currency", "description", "category")} == {
        "currency": "USD", "description": "lunch at pizza place", "category": None
    }  # fmt: skip
    assert meta["confidence"] == 1.0 and meta["parser"] == "system"
    assert meta["transaction_id"] == tx.pk

    tx.refresh_from_db()
    assert (tx.amount, tx.currency, tx.description, tx.source) == (
        Decimal("-50.00"), "USD", "lunch at pizza place", "chat"
    )  # fmt: skip
    assert tx.chat_message_id == message.pk and message.related_transaction_id == tx.pk
    assert tx.user == user and tx.paid_by == user and tx.date == timezone.localdate()
    mention = TransactionMention.objects.get(transaction=tx)
    assert (mention.mention_type, mention.mentioned_user, mention.mentioned_text, mention.created_by) == (
        "user", people["john"], "@john", user
    )  # fmt: skip
    splits = {s.participant_id: s.amount for s in TransactionSplit.objects.filter(transaction=tx)}
    assert splits == {user.pk: Decimal("25.00"), people["john"].pk: Decimal("25.00")}
    assert meta["split"] == {
        "count": 2, "participants": [user.pk, people["john"].pk], "applied": True, "reason": ""
    }  # fmt: skip

    reply = result.reply
    assert (reply.message_type, reply.status, reply.related_transaction_id) == ("system", "completed", tx.pk)
    assert reply.content == "Added $50.00 lunch at pizza place, split with @john."
    assert reply.conversation_id == "main" and reply.metadata["reply_to"] == message.pk


def test_goes_to_the_default_account_in_its_currency(user):
    account = Account.objects.create(user=user, name="Girokonto", currency="EUR", is_default=True)
    tx = submit_message(user, "12,50 wine").transaction
    assert (tx.account, tx.currency, tx.amount) == (account, "EUR", Decimal("-12.50"))


def test_income_is_positive_and_not_split(user, people):
    result = submit_message(user, "received $50 from @john")
    tx = result.transaction
    assert tx.amount == Decimal("50.00")
    assert not TransactionSplit.objects.filter(transaction=tx).exists()
    assert TransactionMention.objects.get(transaction=tx).mentioned_user == people["john"]
    assert result.reply.content.startswith("Recorded income of $50.00")


def test_group_mention_splits_among_members(user, people):
    result = submit_message(user, "@flatmates $60 groceries")
    tx = result.transaction
    assert tx.group == people["flat"]
    splits = sorted(TransactionSplit.objects.filter(transaction=tx).values_list("participant_id", "amount"))
    assert splits == sorted([(user.pk, Decimal("20.00")), (people["john"].pk, Decimal("20.00")),
                             (people["mary"].pk, Decimal("20.00"))])  # fmt: skip
    mention = TransactionMention.objects.get(transaction=tx)
    assert (mention.mention_type, mention.mentioned_group) == ("group", people["flat"])


def test_split_n_ways_with_named_people(user, people):
    tx = submit_message(user, "split 3 ways with @john @mary $90 dinner").transaction
    assert sorted(TransactionSplit.objects.filter(transaction=tx).values_list("amount", flat=True)) == [
        Decimal("30.00")
    ] * 3


def test_split_n_ways_without_people_records_the_count_only(user, settings):
    settings.EXPENSE_AI = {"CHAT_CONFIRM_BELOW": 0.5}  # split_without_people costs confidence
    result = submit_message(user, "split 3 ways $90 dinner")
    assert result.transaction is not None
    assert not TransactionSplit.objects.filter(transaction=result.transaction).exists()
    assert result.message.metadata["split"] == {
        "count": 3, "participants": [user.pk], "applied": False, "reason": "count_mismatch"
    }  # fmt: skip
    assert result.message.metadata["parsed"]["split_count"] == 3
    assert "I didn't split it: you said 3 ways" in result.reply.content


def test_unresolved_mention_is_kept_without_target_and_not_split(user, people):
    result = submit_message(user, "@zed $30 dinner")
    assert result.message.metadata["confidence"] == 0.85
    mention = TransactionMention.objects.get(transaction=result.transaction)
    assert (mention.mention_type, mention.mentioned_user, mention.mentioned_text) == ("user", None, "@zed")
    assert result.message.metadata["mentions"][0] == {
        "type": "user", "text": "@zed", "name": "zed", "resolved": False, "id": None, "user_id": None
    }  # fmt: skip
    assert result.message.metadata["split"]["reason"] == "unresolved_mentions"
    assert not TransactionSplit.objects.filter(transaction=result.transaction).exists()
    assert "I don't know @zed yet" in result.reply.content


def test_category_and_tag_mentions(user, people):
    result = submit_message(user, "$12 lunch #food #friday")
    tx = result.transaction
    assert tx.category == people["food"]
    assert result.message.metadata["parsed"]["category_id"] == people["food"].pk
    rows = list(TransactionMention.objects.filter(transaction=tx).values_list("mention_type", "mentioned_text"))
    assert sorted(rows) == [("category", "#food"), ("tag", "#friday")]


def test_conversation_id(user):
    result = submit_message(user, "$5 tea", conversation_id="budget-planning")
    assert result.message.conversation_id == result.reply.conversation_id == "budget-planning"


# -- what cannot become a transaction ------------------------------------------------


@pytest.mark.parametrize(
    ("text", "error", "reply_start"),
    [
        ("lunch at the pizza place", "no_amount", "How much was it?"),
        ("$0 lunch", "amount_not_positive", "The amount has to be more than zero"),
        ("-$5 lunch", "amount_not_positive", "The amount has to be more than zero"),
        ("$999999999999 yacht", "amount_too_large", "That amount is larger than I can record"),
        ("¥12.5 sushi", "too_many_decimals", "JPY amounts have no decimal places"),
        ("   ", "empty", "Send an amount"),
    ],
)
def test_no_usable_amount_fails_with_a_question(user, text, error, reply_start):
    result = submit_message(user, text)
    result.message.refresh_from_db()
    assert result.message.status == "failed" and result.transaction is None
    assert result.message.metadata["error"] == error and "amount" in result.message.metadata["missing"]
    assert result.message.content == text
    assert result.reply.message_type == "system" and result.reply.content.startswith(reply_start)
    assert result.reply.metadata["error"] == error
    assert not Transaction.objects.exists() and not TransactionMention.objects.exists()


def test_too_long_is_stored_cut_and_refused(user, settings):
    settings.EXPENSE_AI = {"CHAT_MAX_LENGTH": 50}
    text = "$5 " + "x" * 60
    result = submit_message(user, text)
    result.message.refresh_from_db()
    assert result.message.status == "failed"
    assert result.message.content == text[:50]
    assert result.message.metadata["error"] == "too_long"
    assert result.message.metadata["length"] == 63 and result.message.metadata["stored_length"] == 50
    assert "too long" in result.reply.content and "first 50 characters" in result.reply.content
    assert not Transaction.objects.exists()


@pytest.mark.parametrize("bad", [None, 5, b"$5 tea", ["$5"]])
def test_text_must_be_a_string(user, bad):
    with pytest.raises(ChatError, match="must be text"):
        submit_message(user, bad)
    assert not ChatMessage.objects.exists()


def test_author_and_conversation_are_checked(user):
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(ChatError, match="authenticated user"):
        submit_message(AnonymousUser(), "$5 tea")
    with pytest.raises(ChatError, match="conversation_id"):
        submit_message(user, "$5 tea", conversation_id="")
    with pytest.raises(ChatError, match="conversation_id"):
        submit_message(user, "$5 tea", conversation_id="x" * 256)
    assert not ChatMessage.objects.exists()


# -- text is data ---------------------------------------------------------------------


def test_markup_round_trips_as_text_and_is_escaped_when_shown(user):
    text = "<script>alert('x')</script> $5 <b>lunch</b>"
    result = submit_message(user, text)
    result.message.refresh_from_db()
    assert result.message.content == text  # stored exactly as typed
    assert result.transaction.description == "<script>alert('x')</script> <b>lunch</b>"
    # The reply echoes at most a bounded slice of it, as plain text ...
    assert len(result.reply.content) < 200
    # ... and anything that renders it as HTML escapes it.
    shown = Template("{{ m.content }}|{{ r.content }}").render(Context({"m": result.message, "r": result.reply}))
    assert "<script" not in shown and "<b>" not in shown
    assert "&lt;script&gt;" in shown


def test_admin_shows_chat_content_escaped(user, admin_client):
    submit_message(user, "<script>alert(1)</script> $5 tea")
    page = admin_client.get("/admin/expense_ai/chatmessage/").content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_a_long_description_is_echoed_in_a_bounded_slice(user):
    result = submit_message(user, "$5 " + "blah " * 150)
    assert len(result.reply.content) < 120
    assert len(result.transaction.description) == 500  # the column's limit
    assert result.message.metadata["description_truncated"] is True


def test_unstorable_characters_become_replacement_characters(user):
    result = submit_message(user, "$5 tea\x00 \ud800")
    result.message.refresh_from_db()
    assert result.message.content == "$5 tea\ufffd \ufffd"
    assert result.message.status == "completed"


@hsettings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=80))
def test_any_text_ends_in_a_known_state(user, text):
    result = submit_message(user, text)
    result.message.refresh_from_db()
    assert result.message.status in ("completed", "failed", "processing")
    assert result.message.content == text.replace("\x00", "\ufffd")  # hypothesis draws no surrogates
    assert (result.transaction is not None) == (result.message.status == "completed")
    if result.message.status == "processing":
        assert result.reply.message_type == "suggestion"


# -- suggestions ------------------------------------------------------------------------

UNSURE = "@zed @yan 12 coffee 5"  # two unknown people, two amounts, no currency: 0.35


def test_low_confidence_makes_a_suggestion_and_nothing_else(user):
    result = submit_message(user, UNSURE)
    message = result.message
    message.refresh_from_db()
    assert message.status == "processing" and message.metadata["awaiting_confirmation"] is True
    assert message.metadata["confidence"] < 0.6
    assert result.transaction is None and not Transaction.objects.exists()
    suggestion = result.reply
    assert (suggestion.message_type, suggestion.status) == ("suggestion", "processing")
    assert message.metadata["suggestion_id"] == suggestion.pk
    assert suggestion.content.startswith("Should I add $12.00 coffee")
    assert suggestion.content.endswith("I'm not sure about: which amount is the total, the currency.")


def test_confirm_with_edits_creates_the_transaction(user, people):
    message = submit_message(user, UNSURE).message
    result = confirm_suggestion(message, amount="45.00", description="coffee beans", category="food",
                                date="2026-11-01")  # fmt: skip
    tx = result.transaction
    assert (tx.amount, tx.description, tx.category, tx.date) == (
        Decimal("-45.00"), "coffee beans", people["food"], dt.date(2026, 11, 1)
    )  # fmt: skip
    message.refresh_from_db()
    assert message.status == "completed" and message.related_transaction == tx
    assert message.metadata["confirmed"] is True
    assert message.metadata["edits"] == ["amount", "category", "date", "description"]
    assert message.metadata["parsed"]["amount"] == "45.00"
    assert ChatMessage.objects.get(pk=message.metadata["suggestion_id"]).status == "completed"
    assert sorted(TransactionMention.objects.filter(transaction=tx).values_list("mentioned_text", flat=True)) == [
        "@yan", "@zed"
    ]  # fmt: skip
    assert result.reply.content.startswith("Added $45.00 coffee beans on Sun 1 Nov 2026, category Food")
    with pytest.raises(InvalidTransition, match="not waiting for confirmation"):
        confirm_suggestion(message)
    assert Transaction.objects.count() == 1


def test_confirm_through_the_suggestion_message(user):
    suggestion = submit_message(user, UNSURE).reply
    result = confirm_suggestion(suggestion)
    assert result.transaction.amount == Decimal("-12.00")
    suggestion.refresh_from_db()
    assert suggestion.status == "completed"


def test_a_suggestion_with_resolved_people_splits_on_confirm(user, people, settings):
    settings.EXPENSE_AI = {"CHAT_CONFIRM_BELOW": 0.99}
    message = submit_message(user, "@john 30 dinner").message  # no currency: 0.85
    assert message.status == "processing"
    tx = confirm_suggestion(message).transaction
    assert sorted(TransactionSplit.objects.filter(transaction=tx).values_list("participant_id", "amount")) == sorted(
        [(user.pk, Decimal("15.00")), (people["john"].pk, Decimal("15.00"))]
    )


@pytest.mark.parametrize(
    ("edits", "match"),
    [
        ({"amount": "-5"}, "amount_not_positive"),
        ({"amount": 5.5}, "not a float"),
        ({"amount": "1.234"}, "too_many_decimals"),
        ({"currency": "XYZ"}, "unknown_currency"),
        ({"category": "nope"}, "no category named"),
        ({"date": "yesterday"}, "not YYYY-MM-DD"),
        ({"merchant": "x"}, "Cannot edit merchant"),
        ({"is_income": "yes"}, "True or False"),
    ],
)
def test_bad_edits_change_nothing(user, people, edits, match):
    message = submit_message(user, UNSURE).message
    with pytest.raises(ChatError, match=match):
        confirm_suggestion(message, **edits)
    message.refresh_from_db()
    assert message.status == "processing" and not Transaction.objects.exists()


def test_another_users_category_cannot_be_chosen(user, other_user):
    theirs = Category.objects.create(user=other_user, key="secret", name="Secret")
    message = submit_message(user, UNSURE).message
    with pytest.raises(ChatError, match="neither the user's nor a system category"):
        confirm_suggestion(message, category=theirs)


def test_reject(user):
    result = submit_message(user, UNSURE)
    rejected = reject_suggestion(result.message)
    message = rejected.message
    assert message.status == "failed" and message.metadata["rejected"] is True
    assert rejected.transaction is None and not Transaction.objects.exists()
    assert rejected.reply.content.startswith("OK, I didn't record it.")
    result.reply.refresh_from_db()
    assert result.reply.status == "failed"
    with pytest.raises(InvalidTransition):
        reject_suggestion(result.message)
    with pytest.raises(InvalidTransition):
        confirm_suggestion(result.message)


def test_only_waiting_messages_can_be_confirmed(user):
    done = submit_message(user, "$5 tea")
    with pytest.raises(InvalidTransition):
        confirm_suggestion(done.message)
    with pytest.raises(ChatError, match="not a user message"):
        confirm_suggestion(done.reply)  # a system reply


# -- quick_add_mode: shortcut ----------------------------------------------------------------


def test_shortcut_mode(user, people, mode):
    mode("shortcut")
    result = submit_message(user, "@john $50 lunch at pizza place")
    assert result.message.metadata["parser"] == "shortcut"
    assert result.transaction.amount == Decimal("-50.00")
    assert TransactionSplit.objects.filter(transaction=result.transaction).count() == 2
    failed = submit_message(user, "$50 lunch with @john")
    assert failed.message.status == "failed" and failed.message.metadata["error"] == "not_shortcut"
    assert failed.reply.content.startswith("Quick entry needs the form")


# -- quick_add_mode: ai (fake provider) ---------------------------------------------------------


def _entry(**kw):
    fields = {
        "amount": Decimal("42.50"), "currency": "USD", "description": "sushi", "category": "food",
        "date": timezone.localdate(), "mentions": ("john",), "confidence": 0.9,
    }  # fmt: skip
    fields.update(kw)
    return ChatEntry(**fields)


def test_ai_mode_uses_the_provider(user, people, mode, fake):
    mode("ai", provider="fake")
    fake.queue(_entry())
    result = submit_message(user, "sushi with john, about 42.50")
    call = fake.calls[0]
    assert call.method == "parse_chat"
    assert call.kwargs["text"] == "sushi with john, about 42.50"
    assert call.kwargs["default_currency"] == "USD" and call.kwargs["today"] == timezone.localdate()
    tx = result.transaction
    assert (tx.amount, tx.description, tx.category) == (Decimal("-42.50"), "sushi", people["food"])
    meta = result.message.metadata
    assert meta["parser"] == "ai" and meta["provider"]["provider"] == "fake"
    assert meta["confidence"] == 0.9 and "fallback" not in meta
    assert meta["mentions"][0]["user_id"] == people["john"].pk
    assert TransactionSplit.objects.filter(transaction=tx).count() == 2


def test_ai_mode_unresolved_people_cost_what_the_grammar_charges(user, people, mode, fake):
    mode("ai", provider="fake")
    fake.queue(_entry(mentions=("zed", "yan", "xia"), confidence=0.9))
    meta = submit_message(user, "sushi with zed, yan and xia, about 42.50").message.metadata
    assert meta["reasons"][:3] == ["unresolved_mention:@zed", "unresolved_mention:@yan", "unresolved_mention:@xia"]
    assert meta["confidence"] == 0.6  # 0.9 less 0.15 a name, at most 0.30


def test_ai_mode_reads_a_raw_json_answer(user, people, mode, fake):
    mode("ai", provider="fake")
    fake.queue('{"amount": "19.99", "currency": "EUR", "description": "spotify", "category": "", '
               '"date": "2026-11-01", "is_income": false, "mentions": [], "confidence": 0.95}')  # fmt: skip
    tx = submit_message(user, "spotify 19.99 eur on nov 1").transaction
    assert (tx.amount, tx.currency, tx.date, tx.category) == (Decimal("-19.99"), "EUR", dt.date(2026, 11, 1), None)


def test_ai_mode_keeps_typed_mentions(user, people, mode, fake):
    mode("ai", provider="fake")
    fake.queue(_entry(mentions=(), category="", confidence=0.95))
    result = submit_message(user, "@mary 42.50 sushi #food #date-night")
    tx = result.transaction
    assert tx.category == people["food"]
    kinds = sorted(TransactionMention.objects.filter(transaction=tx).values_list("mention_type", "mentioned_text"))
    assert kinds == [("category", "#food"), ("tag", "#date-night"), ("user", "@mary")]


def test_ai_mode_low_confidence_suggests(user, mode, fake):
    mode("ai", provider="fake")
    fake.queue(_entry(mentions=(), confidence=0.3))
    result = submit_message(user, "sushi maybe 42.50")
    assert result.reply.message_type == "suggestion" and result.message.status == "processing"
    assert confirm_suggestion(result.message).transaction.amount == Decimal("-42.50")


def test_ai_mode_without_amount_fails(user, mode, fake):
    mode("ai", provider="fake")
    fake.queue(_entry(amount=None, mentions=()))
    result = submit_message(user, "sushi")
    assert result.message.status == "failed" and result.message.metadata["error"] == "no_amount"
    assert result.reply.content.startswith("How much was it?")


@pytest.mark.parametrize("amount", [Decimal("12.555"), Decimal("0")])
def test_ai_amounts_are_checked_like_typed_ones(user, mode, fake, amount):
    mode("ai", provider="fake")
    fake.queue(_entry(amount=amount, mentions=()))
    result = submit_message(user, "sushi")
    assert result.message.status == "failed" and result.transaction is None


@pytest.mark.parametrize(
    "error", [ProviderAuthError("The API key was refused.", provider="fake"), ProviderUnavailable("off", provider="fake")]
)
def test_ai_failure_falls_back_to_the_system_parser(user, people, mode, fake, error):
    mode("ai", provider="fake")
    fake.queue(error)
    result = submit_message(user, "@john $50 lunch")
    assert result.transaction.amount == Decimal("-50.00")
    meta = result.message.metadata
    assert meta["parser"] == "system"
    assert meta["fallback"]["provider"] == "fake" and meta["fallback"]["error"] == type(error).__name__
    assert result.reply.content == (
        "The AI parser was unavailable, so I used the built-in parser. Added $50.00 lunch, split with @john."
    )


def test_ai_mode_with_no_provider_selected_says_so(user, mode):
    mode("ai")  # active_parser_provider stays "system"
    result = submit_message(user, "$5 tea")
    assert result.transaction is not None
    assert result.message.metadata["fallback"]["kind"] == "disabled"
    assert result.reply.content.startswith("No AI provider is selected, so I used the built-in parser.")


def test_ai_mode_honours_ai_enabled_for_real_providers(user, mode, settings):
    settings.EXPENSE_AI = {"AI_ENABLED": False}
    mode("ai", provider="openai")
    result = submit_message(user, "$5 tea")
    assert result.message.metadata["fallback"]["provider"] == "openai"
    assert "AI_ENABLED" in result.message.metadata["fallback"]["message"]
    assert result.transaction is not None


@pytest.mark.django_db(transaction=True)
def test_no_provider_call_inside_a_database_transaction(user, mode, fake, monkeypatch):
    mode("ai", provider="fake")
    fake.queue(_entry(mentions=()))
    seen = []
    real = ai.call_provider

    def spy(*args, **kwargs):
        seen.append(connection.in_atomic_block)
        return real(*args, **kwargs)

    monkeypatch.setattr(ai, "call_provider", spy)
    result = submit_message(user, "sushi 42.50")
    assert seen == [False]
    assert result.transaction is not None
    # The user's message was committed before the provider was asked.
    assert ChatMessage.objects.filter(pk=result.message.pk, content="sushi 42.50").exists()


# -- hooks and atomicity ------------------------------------------------------------------------


def test_classify_hook_and_created_notification(user, register_plugin, django_capture_on_commit_callbacks):
    events = []

    class Plugin:
        @hookimpl
        def classify_transaction(self, transaction):
            events.append(("classify", transaction.pk, transaction.amount))
            return "one_time"

        @hookimpl
        def chat_transaction_created(self, message, transaction):
            events.append(("created", message.pk, transaction.pk))

    register_plugin(Plugin())
    with django_capture_on_commit_callbacks(execute=True):
        result = submit_message(user, "$900 new phone")
    tx = result.transaction
    tx.refresh_from_db()
    assert tx.expense_classification == "one_time" and tx.exclude_from_totals is True
    assert events == [("classify", None, Decimal("-900.00")), ("created", result.message.pk, tx.pk)]


def test_a_bad_classification_plugin_is_ignored_and_the_entry_kept(user, people, register_plugin, caplog):
    # One policy for every path (ledger.create_transactions): a plugin that fails
    # or answers nonsense is logged and ignored; the user's entry is never lost.
    class Plugin:
        @hookimpl
        def classify_transaction(self, transaction):
            return "not-a-classification"

    register_plugin(Plugin())
    with caplog.at_level("ERROR"):
        result = submit_message(user, "@john $50 lunch #food")
    assert "not-a-classification" in caplog.text
    assert result.message.status == "completed"
    assert result.transaction.expense_classification == "regular_monthly"
    assert TransactionMention.objects.filter(transaction=result.transaction).exists()


def test_a_failure_while_writing_rolls_back_every_row(user, people, monkeypatch):
    from django_expense_ai.chat import services

    def broken_split(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(services, "apply_split", broken_split)
    with pytest.raises(RuntimeError):
        submit_message(user, "@john $50 lunch")
    assert not Transaction.objects.exists()
    assert not TransactionMention.objects.exists() and not TransactionSplit.objects.exists()
    message = ChatMessage.objects.get(message_type="user")
    assert message.status == "failed" and message.related_transaction is None


def test_plugin_parser_in_normal_mode(user, register_plugin):
    from django_expense_ai.chat.grammar import ChatParse

    class Plugin:
        @hookimpl
        def parse_chat_message(self, text, today):
            return ChatParse(amount=Decimal("3.00"), currency="USD", description="from plugin", date=today)

    register_plugin(Plugin())
    result = submit_message(user, "whatever")
    assert result.message.metadata["parser"] == "plugin"
    assert (result.transaction.amount, result.transaction.description) == (Decimal("-3.00"), "from plugin")


# -- cost ---------------------------------------------------------------------------------------


def test_queries_per_submit_do_not_grow_with_mentions(user, people):
    with CaptureQueriesContext(connection) as one:
        submit_message(user, "@john $50 lunch #food")
    with CaptureQueriesContext(connection) as many:
        result = submit_message(user, "@john @mary $50 lunch #food #dining #a #b #c #d #e")
    assert TransactionMention.objects.filter(transaction=result.transaction).count() == 9
    assert len(many) == len(one)
    with CaptureQueriesContext(connection) as worst:
        submit_message(user, "@john @mary @zed @yan @flatmates $50 lunch #food #a #b #c #d")
    # + contacts' first names, groups and group members; the split is not
    # applied (unknown people), which saves its queries.
    assert len(worst) <= len(one) + 3
    assert len(one) <= 25


# -- the written-out INSERTs keep save()'s contract ----------------------------------


def test_rows_written_by_submit_send_the_signals_save_sends(user, people):
    from django.db.models.signals import post_save, pre_save

    seen = []

    def before(sender, instance, raw, using, update_fields, **kwargs):
        seen.append(("pre", sender.__name__, instance.pk, raw, using, update_fields))
        if sender is Transaction:
            # Transaction.save()'s rule is applied before the signal, as save() does.
            seen.append(("excluded", instance.exclude_from_totals, instance.expense_classification))

    def after(sender, instance, created, raw, using, update_fields, **kwargs):
        seen.append(("post", sender.__name__, instance.pk is not None, created, raw, using, update_fields))

    for model in (Transaction, ChatMessage, TransactionMention, TransactionSplit):
        pre_save.connect(before, sender=model, weak=False)
        post_save.connect(after, sender=model, weak=False)
    try:
        result = submit_message(user, "@john $50 lunch #food")
    finally:
        for model in (Transaction, ChatMessage, TransactionMention, TransactionSplit):
            pre_save.disconnect(before, sender=model)
            post_save.disconnect(after, sender=model)
    assert seen == [
        ("pre", "ChatMessage", None, False, "default", None),  # the user's message
        ("post", "ChatMessage", True, True, False, "default", None),
        ("pre", "Transaction", None, False, "default", None),
        ("excluded", False, "regular_monthly"),
        ("post", "Transaction", True, True, False, "default", None),
        # Mentions and splits are bulk inserts: no signals, as before.
        ("pre", "ChatMessage", None, False, "default", None),  # the reply
        ("post", "ChatMessage", True, True, False, "default", None),
    ]
    tx = Transaction.objects.get()
    assert result.transaction.pk == tx.pk and result.reply.pk is not None and result.message.pk is not None
    assert not result.transaction._state.adding and result.transaction._state.db == "default"
    assert result.message.related_transaction_id == tx.pk


def test_rows_written_by_submit_read_back_as_they_were_built(user, people):
    result = submit_message(user, "@john @mary $60 groceries #food")
    tx, reply, message = result.transaction, result.reply, result.message
    stored = Transaction.objects.get(pk=tx.pk)
    for field in Transaction._meta.concrete_fields:
        assert getattr(stored, field.attname) == getattr(tx, field.attname), field.name
    assert (stored.amount, stored.currency, stored.category_id) == (Decimal("-60.00"), "USD", people["food"].pk)
    for saved in (reply, message):
        fresh = ChatMessage.objects.get(pk=saved.pk)
        for field in ChatMessage._meta.concrete_fields:
            assert getattr(fresh, field.attname) == getattr(saved, field.attname), field.name
    assert fresh.metadata["transaction_id"] == tx.pk  # JSON stored as JSON
    mentions = TransactionMention.objects.filter(transaction=tx).order_by("pk")
    assert [(m.mention_type, m.mentioned_user_id, m.mentioned_text, m.created_by_id) for m in mentions] == [
        ("user", people["john"].pk, "@john", user.pk),
        ("user", people["mary"].pk, "@mary", user.pk),
        ("category", None, "#food", user.pk),
    ]
    assert all(m.created_at is not None for m in mentions)
    splits = TransactionSplit.objects.filter(transaction=tx).order_by("pk")
    assert [(s.participant_id, s.amount, s.currency.code) for s in splits] == [
        (user.pk, Decimal("20.00"), "USD"),
        (people["john"].pk, Decimal("20.00"), "USD"),
        (people["mary"].pk, Decimal("20.00"), "USD"),
    ]


def test_many_mentions_are_inserted_in_batches(user, people):
    # 160 rows of 7 values: more than SQLite's 999 parameters, so two INSERTs there.
    names = " ".join(f"#t{i}" for i in range(160))
    fields = [f for f in TransactionMention._meta.concrete_fields if not f.primary_key]
    batch = connection.ops.bulk_batch_size(fields, [None] * 160)
    table = TransactionMention._meta.db_table
    with CaptureQueriesContext(connection) as queries:
        result = submit_message(user, f"$5 tea {names}")
    inserts = [q for q in queries.captured_queries if q["sql"].startswith("INSERT") and table in q["sql"]]
    assert len(inserts) == -(-160 // batch)
    assert TransactionMention.objects.filter(transaction=result.transaction).count() == 160


def test_rows_get_their_keys_without_returning(user, people, monkeypatch):
    # MySQL cannot RETURNING: the key comes from the cursor's last insert id.
    if connection.vendor == "postgresql":
        pytest.skip("PostgreSQL always returns the key (Django has no last-insert-id path for it)")
    monkeypatch.setattr(connection.features, "can_return_columns_from_insert", False)
    # MySQL/MariaDB derive the bulk flag from the one above (a property); elsewhere it is its own.
    if not isinstance(getattr(type(connection.features), "can_return_rows_from_bulk_insert", None), property):
        monkeypatch.setattr(connection.features, "can_return_rows_from_bulk_insert", False)
    result = submit_message(user, "@john $50 lunch #food")
    assert result.transaction.pk == Transaction.objects.get().pk
    assert result.message.pk == ChatMessage.objects.get(message_type="user").pk
    assert result.reply.pk == ChatMessage.objects.get(message_type="system").pk
    assert result.message.related_transaction_id == result.transaction.pk
