"""Chat services against a database: mention resolution, currency and date, the
plugin hook, autocomplete, and the message state machine.

The resolution table below is the DB-backed companion of the grammar's table
(tests/test_chat_grammar.py): each row is a message, and what its mentions
must resolve to for the author ``alice`` in the world built by ``world``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from django_expense_ai import hookimpl
from django_expense_ai.chat import mention_suggestions, parse_message
from django_expense_ai.chat.grammar import ChatParse
from django_expense_ai.chat.mentions import MAX_RESOLVED_NAMES, resolve_mentions
from django_expense_ai.chat.services import ALLOWED_TRANSITIONS, chat_context, transition
from django_expense_ai.exceptions import ConfigurationError, InvalidTransition
from django_expense_ai.ledger.reference_data import ensure_system_categories
from django_expense_ai.models import (
    Account,
    Category,
    ChatMessage,
    Group,
    GroupMember,
    MessageStatus,
    Transaction,
    TransactionMention,
    TransactionSplit,
)
from django_expense_ai.models.swappable import get_user_preferences_model

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 4)


class World:
    """Alice's people, groups and categories; attributes are the rows."""


@pytest.fixture
def world(user, other_user, django_user_model):
    make = django_user_model.objects.create_user
    w = World()
    w.alice, w.bob = user, other_user
    w.john = make(username="john", first_name="John", password="pw")
    w.mary = make(username="mjones", first_name="Mary", password="pw")  # contact via a group
    w.peter = make(username="pp", first_name="Peter", password="pw")  # contact via a split
    w.sam = make(username="s.smith", first_name="Sam", password="pw")  # a stranger
    w.chris1 = make(username="chris1", first_name="Chris", password="pw")
    w.chris2 = make(username="chris2", first_name="Chris", password="pw")
    w.gone = make(username="gone", first_name="Gone", password="pw", is_active=False)
    w.flat = Group.objects.create(name="Flat mates", created_by=w.alice)
    for member in (w.alice, w.john, w.mary, w.chris1, w.chris2):
        GroupMember.objects.create(group=w.flat, user=member)
    w.team = Group.objects.create(name="Team", created_by=w.bob)  # alice is a member
    GroupMember.objects.create(group=w.team, user=w.alice)
    w.secret = Group.objects.create(name="Secret club", created_by=w.sam)  # not alice's
    shared = Transaction.objects.create(user=w.peter, date=TODAY, amount=Decimal("-10.00"), currency="USD")
    TransactionSplit.objects.create(transaction=shared, participant=w.alice, amount=Decimal("5.00"))
    ensure_system_categories()
    w.coffee = Category.objects.create(user=w.alice, key="coffee", name="Coffee")
    w.eating_out = Category.objects.create(user=w.alice, key="eating-out", name="Eating out")
    w.own_travel = Category.objects.create(user=w.alice, key="travel", name="My travel")
    w.bobs = Category.objects.create(user=w.bob, key="bobs", name="Bobs")
    w.system = {c.key: c for c in Category.objects.filter(user__isnull=True)}
    return w


def _target(world: World, ref: str | None):
    if ref is None:
        return None
    kind, _, name = ref.partition(":")
    if kind == "system":
        return world.system[name]
    return getattr(world, name)


# (message, [(mention kind, target reference or None), ...])
RESOLUTION = [
    # users by username, any case, anyone active
    ("@john $50 lunch", [("user", "x:john")]),
    ("@JOHN $50 lunch", [("user", "x:john")]),
    ("@mjones $5 tea", [("user", "x:mary")]),
    ("@s.smith $5 tea", [("person", None)]),  # a stranger: as if nobody had the name
    ("@bob $5 tea", [("user", "x:bob")]),
    # users by first name: only contacts, and only when one contact has it
    ("@mary $20 taxi", [("user", "x:mary")]),  # shares a group with alice
    ("@Mary $20 taxi", [("user", "x:mary")]),
    ("@peter $9 beer", [("user", "x:peter")]),  # split a transaction with alice
    ("@sam $5 tea", [("person", None)]),  # a stranger's first name does not resolve
    ("@chris $5 tea", [("person", None)]),  # two contacts called Chris
    ("@chris1 $5 tea", [("user", "x:chris1")]),
    ("@gone $5 tea", [("person", None)]),  # inactive
    ("@alice $5 tea", [("person", None)]),  # the author is never a mention
    ("@zed $5 tea", [("person", None)]),
    # groups: the author's own or joined, separators ignored
    ("@flatmates $60 groceries", [("group", "x:flat")]),
    ("@flat-mates $60 groceries", [("group", "x:flat")]),
    ("@Flat_Mates $60 groceries", [("group", "x:flat")]),
    ("@team $30 pizza", [("group", "x:team")]),
    ("@secretclub $30 pizza", [("person", None)]),  # not alice's group
    # categories: own before system, key or name, case-insensitive; else a tag
    ("$5 latte #coffee", [("category", "x:coffee")]),
    ("$5 latte #Coffee", [("category", "x:coffee")]),
    ("$12 lunch #food", [("category", "system:food")]),
    ("$12 lunch #Dining", [("category", "system:dining")]),
    ("$12 haircut #personal-care", [("category", "system:personal-care")]),
    ("$12 haircut #personal_care", [("category", "system:personal-care")]),
    ("$40 dinner #eating-out", [("category", "x:eating_out")]),
    ("$40 dinner #eatingout", [("category", "x:eating_out")]),
    ("$300 flight #travel", [("category", "x:own_travel")]),  # own beats system
    ("$5 thing #bobs", [("tag", None)]),  # bob's category is not alice's
    ("$5 snack #weekend", [("tag", None)]),
    # several at once
    ("@john @mary $90 dinner #food #friday", [
        ("user", "x:john"), ("user", "x:mary"), ("category", "system:food"), ("tag", None)]),
    ("@john @zed @flatmates $90 dinner", [("user", "x:john"), ("person", None), ("group", "x:flat")]),
]  # fmt: skip


@pytest.mark.parametrize(("text", "expected"), RESOLUTION, ids=[t for t, _ in RESOLUTION])
def test_resolution_table(world, text, expected):
    parse = parse_message(text, user=world.alice, today=TODAY)
    got = [(m.kind, m.target) for m in parse.mentions]
    assert got == [(kind, _target(world, ref)) for kind, ref in expected]


def test_unresolved_mentions_are_kept_and_lower_the_confidence(world):
    known = parse_message("@john $50 lunch", user=world.alice, today=TODAY)
    unknown = parse_message("@zed $50 lunch", user=world.alice, today=TODAY)
    assert known.confidence == 1.0
    assert unknown.confidence < known.confidence
    assert "unresolved_mention:@zed" in unknown.reasons
    assert unknown.mentions[0].text == "@zed" and unknown.mentions[0].target is None


def test_without_a_user_nothing_resolves_but_it_parses(world):
    parse = parse_message("@john $50 lunch #food", today=TODAY)
    assert parse.amount == Decimal("50.00")
    assert [(m.kind, m.target) for m in parse.mentions] == [("person", None), ("tag", None)]


def test_category_field_and_tags(world):
    parse = parse_message("$12 lunch #food #friday", user=world.alice, today=TODAY)
    assert parse.category == "food"
    assert parse.category_mention.target == world.system["food"]
    assert parse.tags == ("friday",)


def test_split_participants(world):
    parse = parse_message("split with @john and @mary $42 pizza", user=world.alice, today=TODAY)
    assert parse.split_count == 3
    assert parse.split_with == ("@john", "@mary")


def test_resolution_is_a_bounded_number_of_queries(world):
    one = "@john $5 tea #food"
    many = "@john @mary @peter @zed @flatmates @team @nobody $5 tea #food #coffee #x #y #z"
    with CaptureQueriesContext(connection) as few_ctx:
        parse_message(one, user=world.alice, today=TODAY)
    with CaptureQueriesContext(connection) as many_ctx:
        parse = parse_message(many, user=world.alice, today=TODAY)
    assert len(few_ctx) == 3  # context (account and preferences), people (username or first name), categories
    assert len(many_ctx) == 4  # + groups, for the names no person matched
    assert sum(m.resolved for m in parse.mentions) == 7  # 5 @ and 2 categories; tags have no target


def test_a_user_model_without_first_name_or_is_active(world, monkeypatch):
    # A host's user model may have neither field: usernames only, and nobody
    # is left out as inactive. Pretend the fields are missing (the SQL is
    # cached per model, so the cache is cleared around the test).
    from django_expense_ai.chat import mentions

    names = ["John", "mary", "gone"]
    assert resolve_mentions(world.alice, at_names=names).people == {"john": world.john, "mary": world.mary}
    real = mentions._has_field
    monkeypatch.setattr(
        mentions, "_has_field", lambda model, name: name not in ("first_name", "is_active") and real(model, name)
    )
    try:
        targets = resolve_mentions(world.alice, at_names=names)
    finally:
        monkeypatch.undo()
    assert targets.people == {"john": world.john}  # "mary" was a first name; "gone" is inactive


def test_people_resolve_only_within_the_mentionable_rule(world, django_user_model):
    from django_expense_ai.chat import mentions

    zoe = django_user_model.objects.create_user(username="zz", first_name="Zoe", password="pw")
    mine = Transaction.objects.create(user=world.alice, date=TODAY, amount=Decimal("-8.00"), currency="USD")
    TransactionSplit.objects.create(transaction=mine, participant=zoe, amount=Decimal("4.00"))  # alice split with zoe
    names = ["john", "mary", "peter", "sam", "chris", "gone", "zoe", "bob", "alice", "mjones", "s.smith", "nobody"]
    assert mentions._resolve_people(world.alice, names) == (
        {
            "john": world.john,
            "mary": world.mary,  # a group's member, by first name
            "peter": world.peter,  # split with alice
            "zoe": zoe,  # alice split with her
            "bob": world.bob,  # created a group alice is in
            "mjones": world.mary,
            # "sam"/"s.smith": a stranger, as if nobody had the name
        },
        {"chris"},
    )


def test_a_user_manager_that_hides_rows_is_respected(world, django_user_model, monkeypatch):
    # A host's default manager that
    # filters (say, hiding deleted users) keeps its filter for mentions too.
    from django.db.models import QuerySet


    manager = type(django_user_model.objects)
    monkeypatch.setattr(manager, "get_queryset", lambda self: QuerySet(self.model, using=self._db).exclude(pk=world.john.pk))
    try:
        targets = resolve_mentions(world.alice, at_names=["john", "mary"])
    finally:
        monkeypatch.undo()
    assert targets.people == {"mary": world.mary}


def test_resolved_people_are_whole_user_rows(world, django_user_model):
    john = resolve_mentions(world.alice, at_names=["john"]).people["john"]
    stored = django_user_model.objects.get(pk=world.john.pk)
    assert not john.get_deferred_fields() and john._state.db == "default" and not john._state.adding
    for field in django_user_model._meta.concrete_fields:
        assert getattr(john, field.attname) == getattr(stored, field.attname), field.name


def test_resolution_caps_the_names_looked_up(world):
    names = [f"n{i}" for i in range(MAX_RESOLVED_NAMES + 10)] + ["john"]
    targets = resolve_mentions(world.alice, at_names=names)
    assert "john" not in targets.people  # past the cap: left unresolved, not queried


def test_ambiguous_names_are_reported(world):
    targets = resolve_mentions(world.alice, at_names=["chris", "john"])
    assert targets.ambiguous == frozenset({"chris"})
    assert targets.people == {"john": world.john}


# -- currency and date ------------------------------------------------------------


def test_currency_defaults_to_the_site_setting(user, settings):
    settings.EXPENSE_AI = {"DEFAULT_CURRENCY": "JPY"}
    assert parse_message("1250 sushi", user=user, today=TODAY).currency == "JPY"
    assert parse_message("1250 sushi", today=TODAY).currency == "JPY"


def test_currency_from_preferences_then_default_account(user):
    get_user_preferences_model().objects.create(user=user, default_currency="GBP")
    assert parse_message("12 lunch", user=user, today=TODAY).currency == "GBP"
    Account.objects.create(user=user, name="Girokonto", currency="EUR", is_default=True)
    Account.objects.create(user=user, name="Other", currency="CHF", is_default=False)
    parse = parse_message("12 lunch", user=user, today=TODAY)
    assert (parse.currency, parse.amount) == ("EUR", Decimal("12.00"))


def test_dollar_sign_means_the_users_dollar_or_usd(user):
    account = Account.objects.create(user=user, name="Chequing", currency="CAD", is_default=True)
    parse = parse_message("$5 coffee", user=user, today=TODAY)
    assert parse.currency == "CAD" and "dollar_assumed" not in parse.reasons
    account.currency = "EUR"
    account.save()
    parse = parse_message("$5 coffee", user=user, today=TODAY)
    assert parse.currency == "USD" and "dollar_assumed" in parse.reasons


def test_explicit_default_currency_wins(user):
    Account.objects.create(user=user, name="Girokonto", currency="EUR", is_default=True)
    assert parse_message("12 lunch", user=user, default_currency="sek", today=TODAY).currency == "SEK"


def test_today_is_the_local_date(user, settings):
    settings.TIME_ZONE = "Pacific/Kiritimati"  # UTC+14: usually a day ahead of UTC
    with timezone.override("Pacific/Kiritimati"):
        expected = timezone.localdate()
        parse = parse_message("$5 coffee yesterday", user=user)
    assert parse.date == expected - dt.timedelta(days=1)


def test_chat_context_reads_without_creating_preferences(user):
    ctx = chat_context(user)
    assert ctx.quick_add_mode == "normal" and ctx.currency == "USD"
    assert not get_user_preferences_model().objects.filter(user=user).exists()


# -- the plugin hook ---------------------------------------------------------------


def test_plugin_parse_wins(user, register_plugin):
    seen = {}

    class Plugin:
        @hookimpl
        def parse_chat_message(self, text, user, default_currency, today):
            seen.update(text=text, user=user, currency=default_currency, today=today)
            if text.startswith("!"):
                return ChatParse(amount=Decimal("7.00"), currency="USD", description="plugin", date=today)
            return None

    register_plugin(Plugin())
    parse = parse_message("!anything", user=user, today=TODAY)
    assert (parse.amount, parse.description) == (Decimal("7.00"), "plugin")
    assert seen == {"text": "!anything", "user": user, "currency": "USD", "today": TODAY}
    assert parse_message("$5 tea", user=user, today=TODAY).description == "tea"  # None: the grammar reads it


def test_plugin_returning_junk_is_a_configuration_error(user, register_plugin):
    class Plugin:
        @hookimpl
        def parse_chat_message(self, text):
            return {"amount": "5"}

    register_plugin(Plugin())
    with pytest.raises(ConfigurationError, match="return a django_expense_ai.chat.grammar.ChatParse"):
        parse_message("$5 tea", user=user, today=TODAY)


# -- autocomplete ------------------------------------------------------------------


def _mention(world, text, *, kind, user=None, group=None, times=1):
    tx = Transaction.objects.create(user=world.alice, date=TODAY, amount=Decimal("-1.00"), currency="USD")
    for _ in range(times):
        TransactionMention.objects.create(
            transaction=tx, created_by=world.alice, mention_type=kind, mentioned_user=user,
            mentioned_group=group, mentioned_text=text,
        )  # fmt: skip


def test_suggestions_most_used_first(world):
    _mention(world, "@mjones", kind="user", user=world.mary, times=3)
    _mention(world, "@john", kind="user", user=world.john, times=1)
    _mention(world, "@flatmates", kind="group", group=world.flat, times=2)
    _mention(world, "#food", kind="category", times=4)
    _mention(world, "#weekend", kind="tag", times=5)
    got = mention_suggestions(world.alice, "", limit=5)
    assert [(s["type"], s["text"], s["uses"]) for s in got] == [
        ("tag", "#weekend", 5),
        ("category", "#food", 4),
        ("user", "@mjones", 3),
        ("group", "@Flat-mates", 2),
        ("user", "@john", 1),
    ]
    assert got[2] == {"type": "user", "text": "@mjones", "id": world.mary.pk, "label": "Mary (@mjones)", "uses": 3}
    assert got[1]["id"] == world.system["food"].pk and got[0]["id"] is None


def test_suggestion_texts_resolve_back(world):
    for suggestion in mention_suggestions(world.alice, "", limit=100):
        parse = parse_message(f"{suggestion['text']} $5 thing", user=world.alice, today=TODAY)
        mention = parse.mentions[0]
        if suggestion["type"] == "tag":
            assert mention.kind == "tag"
        else:
            assert (mention.kind, mention.target.pk) == (suggestion["type"], suggestion["id"]), suggestion


def test_suggestions_filter_by_prefix_and_sigil(world):
    _mention(world, "#frisbee", kind="tag")
    people = mention_suggestions(world.alice, "@", limit=50)
    assert {s["type"] for s in people} == {"user", "group"}
    texts = {s["text"] for s in people}
    # contacts (group, split) yes; strangers and the author no
    assert {"@john", "@mjones", "@pp", "@chris1", "@bob", "@Flat-mates", "@Team"} <= texts
    assert "@s.smith" not in texts and "@alice" not in texts and "@Secret-club" not in texts
    assert [s["text"] for s in mention_suggestions(world.alice, "@jo")] == ["@john"]
    assert [s["text"] for s in mention_suggestions(world.alice, "@ma")] == ["@mjones"]  # by first name
    hashes = mention_suggestions(world.alice, "#f", limit=50)
    assert {s["text"] for s in hashes} == {"#food", "#family-support", "#frisbee"}
    travel = mention_suggestions(world.alice, "#trav")
    assert [(s["id"], s["label"]) for s in travel] == [(world.own_travel.pk, "My travel")]  # own hides system
    assert len(mention_suggestions(world.alice, "", limit=3)) == 3
    assert mention_suggestions(world.alice, "", limit=0) == []


def test_suggestions_count_only_the_users_own_mentions(world):
    tx = Transaction.objects.create(user=world.bob, date=TODAY, amount=Decimal("-1.00"), currency="USD")
    TransactionMention.objects.create(
        transaction=tx, created_by=world.bob, mention_type="user", mentioned_user=world.john, mentioned_text="@john"
    )
    assert mention_suggestions(world.alice, "@john")[0]["uses"] == 0


def test_suggestions_are_a_bounded_number_of_queries(world, django_assert_max_num_queries):
    for i in range(5):
        _mention(world, f"#tag{i}", kind="tag")
    with django_assert_max_num_queries(4):
        mention_suggestions(world.alice, "", limit=50)


# -- the state machine --------------------------------------------------------------


def _message(user, status=MessageStatus.DRAFT):
    return ChatMessage.objects.create(user=user, conversation_id="main", content="$5 tea", status=status)


@pytest.mark.parametrize("current", list(MessageStatus.values))
@pytest.mark.parametrize("target", list(MessageStatus.values))
def test_transitions(user, current, target):
    message = _message(user, current)
    if target in ALLOWED_TRANSITIONS[current]:
        transition(message, target)
        message.refresh_from_db()
        assert message.status == target
    else:
        with pytest.raises(InvalidTransition, match=f"cannot go from '{current}' to '{target}'"):
            transition(message, target)
        message.refresh_from_db()
        assert message.status == current


def test_the_allowed_transitions():
    assert ALLOWED_TRANSITIONS == {
        "draft": {"processing", "failed"},
        "processing": {"completed", "failed"},
        "completed": set(),
        "failed": set(),
    }


def test_transition_is_compare_and_set(user):
    message = _message(user, MessageStatus.PROCESSING)
    stale = ChatMessage.objects.get(pk=message.pk)
    transition(message, MessageStatus.COMPLETED)
    with pytest.raises(InvalidTransition, match="another request changed it"):
        transition(stale, MessageStatus.FAILED)
    message.refresh_from_db()
    assert message.status == MessageStatus.COMPLETED


def test_transition_writes_metadata_with_the_status(user):
    message = _message(user)
    transition(message, MessageStatus.PROCESSING, metadata={"k": "v"})
    message.refresh_from_db()
    assert (message.status, message.metadata) == ("processing", {"k": "v"})


def test_package_imports_before_apps_are_ready():
    import subprocess
    import sys

    code = (
        "import django_expense_ai.chat as chat, django_expense_ai.chat.grammar as g;"
        "assert 'submit_message' in dir(chat); print(g.parse_text('$5 tea', today=__import__('datetime').date.today()).amount)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={"PYTHONPATH": "src"})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "5.00"
