"""Chat quick entry, the service layer: a message in, a transaction (or a question) out.

The grammar (:mod:`.grammar`) is pure; this module looks up what it needs
(the user's currency and date, the names they may mention), chooses the
parser ``UserPreferences.quick_add_mode`` asks for, and writes the rows.

A user's message moves through one state machine, and only
:func:`transition` changes its status::

    draft ──► processing ──► completed      (a transaction was created)
      │            │    └──► failed         (no amount, too long, rejected, error)
      └────────────┴───────► failed

:func:`submit_message` saves what the user typed first, in its own short
database transaction, so nothing they typed is lost to a later failure. A
provider call (``quick_add_mode="ai"``) runs after that commit and outside
any transaction of ours; the rows a success creates (transaction, mentions,
splits, reply, status) are written together in one atomic block.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, cast

from django.contrib.auth import get_user_model
from django.db import transaction as db_transaction
from django.db.models import FilteredRelation, Q
from django.utils import timezone

from .. import plugins
from ..ai import calls as ai
from ..categorize.services import Decision, categorize_new_transactions
from ..conf import settings
from ..exceptions import ChatError, ConfigurationError, InvalidTransition, MoneyError, ProviderError
from ..ledger import writer as ledger
from ..ledger.splits.services import apply_split
from ..models import (
    Account,
    Category,
    ChatMessage,
    Group,
    MentionType,
    MessageStatus,
    MessageType,
    QuickAddMode,
    SplitMethod,
    Transaction,
    TransactionMention,
    TransactionSource,
)
from ..models.querysets import KeptQuerysets
from ..models.swappable import get_user_preferences_model
from ..money import normalize_currency, quantize, to_decimal
from ..types import UserLike
from . import grammar
from .grammar import DEFAULT_MAX_AMOUNT, ChatParse, ParsedMention
from .mentions import MentionTargets, group_member_ids, resolve_mentions
from .replies import render_reply, render_suggestion

__all__ = [
    "ALLOWED_TRANSITIONS",
    "ChatContext",
    "ChatResult",
    "chat_context",
    "confirm_suggestion",
    "parse_message",
    "reject_suggestion",
    "submit_message",
    "transition",
]

logger = logging.getLogger(__name__)

#: The only status changes a user's chat message may make.
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    MessageStatus.DRAFT: frozenset({MessageStatus.PROCESSING, MessageStatus.FAILED}),
    MessageStatus.PROCESSING: frozenset({MessageStatus.COMPLETED, MessageStatus.FAILED}),
    MessageStatus.COMPLETED: frozenset(),
    MessageStatus.FAILED: frozenset(),
}

# Column limits of the rows chat writes (CharFields: never None).
_DESCRIPTION_MAX = cast(int, Transaction._meta.get_field("description").max_length)
_MENTION_TEXT_MAX = cast(int, TransactionMention._meta.get_field("mentioned_text").max_length)
_CONVERSATION_MAX = cast(int, ChatMessage._meta.get_field("conversation_id").max_length)
# A NUL cannot be stored in a PostgreSQL text column and a lone surrogate
# cannot be encoded for any database: both become U+FFFD.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_PERSON_KINDS = ("user", "group", "person")


# -- the state machine ---------------------------------------------------------


def transition(
    message: ChatMessage,
    status: str,
    *,
    metadata: dict[str, Any] | None = None,
    related_transaction: Transaction | None = None,
) -> ChatMessage:
    """Move ``message`` to ``status``, the one place a chat message's status changes.

    The update is a compare-and-set on the status the message had when read,
    so two requests racing (a double-clicked "confirm") cannot both win. An
    unsaved message only changes in memory (it is about to be inserted with
    its new status).

    :param metadata: when given, replaces ``message.metadata`` in the same update.
    :param related_transaction: when given, is linked in the same update.
    :returns: ``message``, updated in place.
    :raises InvalidTransition: ``ALLOWED_TRANSITIONS`` does not allow the change,
        or another request changed the status first.
    """
    current = message.status
    InvalidTransition.check(
        ALLOWED_TRANSITIONS, current, status, subject=f"Chat message {message.pk}", final="nothing (it is final)"
    )
    now = timezone.now()
    updates: dict[str, Any] = {"status": status, "updated_at": now}
    if metadata is not None:
        updates["metadata"] = metadata
    if related_transaction is not None:
        updates["related_transaction"] = related_transaction
    if message.pk is not None and not _update_status(message.pk, current, updates):
        latest = ChatMessage.objects.filter(pk=message.pk).values_list("status", flat=True).first()
        raise InvalidTransition(
            f"Chat message {message.pk} is no longer {current!r} (now {latest!r}): another request changed it."
        )
    for name, value in updates.items():
        setattr(message, name, value)
    return message


def _update_status(pk: Any, current: str, updates: dict[str, Any]) -> int:
    """Compare-and-set: change the message only if its status is still ``current``; the rows changed."""
    return ChatMessage.objects.filter(pk=pk, status=current).update(**updates)


# -- writing rows ------------------------------------------------------------------


# -- context ---------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class ChatContext:
    """What parsing needs to know about the author, looked up once per message.

    ``currency`` is the user's currency: their default account's, else
    ``UserPreferences.default_currency``, else ``EXPENSE_AI["DEFAULT_CURRENCY"]``.
    ``today`` is the current local date. ``account`` is the default account
    (new transactions go there; its key, owner and currency loaded) or ``None``.
    """

    user: UserLike | None
    currency: str
    today: dt.date
    quick_add_mode: str = QuickAddMode.NORMAL
    default_chat_parser: str = "ai"
    account: Any = None

    @property
    def account_id(self) -> Any:
        return self.account.pk if self.account is not None else None


def chat_context(
    user: UserLike | None, *, default_currency: str | None = None, today: dt.date | None = None
) -> ChatContext:
    """Look up the author's currency, date, default account and chat preferences.

    Reads only (no preferences row is created for a user who has none): one
    query with a user (the user row joined to the default account and the
    preferences), none without.

    :param default_currency: overrides the user's currency when given.
    :param today: overrides ``django.utils.timezone.localdate()``.
    :returns: a :class:`ChatContext`.
    :raises UnknownCurrency: ``default_currency`` (or the stored one) is not ISO 4217.
    """
    today = today or timezone.localdate()
    if user is None:
        code = default_currency or settings.DEFAULT_CURRENCY
        return ChatContext(user=None, currency=normalize_currency(code), today=today)
    account, prefs = _author_settings(user)
    currency = normalize_currency(
        default_currency
        or (account.currency if account is not None else None)
        or prefs.get("default_currency")
        or settings.DEFAULT_CURRENCY
    )
    return ChatContext(
        user=user,
        currency=currency,
        today=today,
        quick_add_mode=prefs.get("quick_add_mode") or QuickAddMode.NORMAL,
        default_chat_parser=prefs.get("default_chat_parser") or "ai",
        account=account,
    )


_PREFERENCE_FIELDS = ("default_currency", "quick_add_mode", "default_chat_parser")
# Asked on every submit and the same for a user each time: kept per process (see KeptQuerysets).
_author_queries = KeptQuerysets(256)


def _author_settings(user: Any) -> tuple[Any, dict[str, Any]]:
    """``(default account or None, {preference: value})`` of ``user`` in one query.

    The user row with two LEFT JOINs (the default account, the preferences,
    either may be missing), so every submit pays one round trip for both.
    The account comes back as a model row with three columns loaded (pk,
    owner, currency): the transaction links it, and the writer's ownership
    check then needs no query of its own.
    """
    model, prefs = get_user_model(), get_user_preferences_model()
    rows = _author_queries.get((model, prefs, user.pk), lambda: _author_query(model, prefs, user.pk))
    for account_pk, currency, *values in rows[:1]:
        account = None
        if account_pk is not None:
            account = Account.from_db(rows.db, ["id", "user_id", "currency"], [account_pk, user.pk, currency])
        return account, {name: value for name, value in zip(_PREFERENCE_FIELDS, values, strict=True) if value}
    return None, {}  # the author was deleted meanwhile: the defaults


def _author_query(model: Any, preferences: Any, user_pk: Any) -> Any:
    accounts = Account._meta.get_field("user").related_query_name()
    prefs = preferences._meta.get_field("user").related_query_name()
    default_account = FilteredRelation(accounts, condition=Q(**{f"{accounts}__is_default": True}))
    return (
        model._base_manager.filter(pk=user_pk)
        .annotate(default_account=default_account)
        .order_by("default_account__pk")
        .values_list("default_account__pk", "default_account__currency", *(f"{prefs}__{f}" for f in _PREFERENCE_FIELDS))
    )


# -- parsing -----------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Reading:
    """A parse plus what the service needs beside it."""

    parse: ChatParse
    parser: str  # "system", "shortcut", "ai" or "plugin"
    category: Any = None  # the Category row the transaction gets
    details: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    note: str = ""  # said before the reply (e.g. "the AI parser was unavailable")
    # The category is the AI provider's guess, not one the user typed or chose:
    # the user's history is asked first (see categorize).
    category_guessed: bool = False
    # Pks of the people resolved through mentionable_users in this request:
    # the split rule needs no second query about them.
    checked_people: frozenset[Any] = frozenset()


def parse_message(
    text: Any,
    *,
    user: UserLike | None = None,
    default_currency: str | None = None,
    today: dt.date | None = None,
) -> ChatParse:
    """Parse one chat message, resolving its mentions when a user is given.

    Plugins first: the first ``parse_chat_message`` hook implementation that
    returns something other than ``None`` wins. Otherwise the built-in
    grammar reads the text; with a ``user``, ``@name`` and ``#name`` are
    resolved to users, groups and categories (see :mod:`.mentions`; three
    queries at most, however many mentions) and a bare ``$`` is the user's
    currency when that is a dollar currency, else USD.

    :param text: the message as typed.
    :param user: the author, or ``None`` to parse without resolving anything.
    :param default_currency: ISO code for an amount without currency; by
        default the user's currency (see :class:`ChatContext`), or
        ``EXPENSE_AI["DEFAULT_CURRENCY"]`` without a user.
    :param today: the date relative dates count from; by default
        ``django.utils.timezone.localdate()``.
    :returns: a :class:`~.grammar.ChatParse`: ``amount`` (``Decimal`` or
        ``None``), ``currency``, ``description``, ``category``, ``tags``,
        ``mentions`` (kind ``user``/``group``/``category``/``tag``, or
        ``person`` for an ``@name`` nobody matched; ``target`` the object or
        ``None``), ``date``, ``is_income``, ``split_count``/``split_with``,
        ``confidence`` in [0, 1] with ``reasons``, and ``error``/``missing``
        when it cannot become a transaction. Never raises because of ``text``.
    :raises UnknownCurrency: ``default_currency`` is not an ISO 4217 code.
    :raises ConfigurationError: a plugin returned something that is not a ChatParse.
    """
    ctx = chat_context(user, default_currency=default_currency, today=today)
    return _parse_with_plugins(text, ctx).parse


def _parse_with_plugins(text: Any, ctx: ChatContext) -> _Reading:
    result = plugins.hook().parse_chat_message(
        text=text, user=ctx.user, default_currency=ctx.currency, today=ctx.today
    )
    if result is None:
        return _system_reading(text, ctx)
    if not isinstance(result, ChatParse):
        raise ConfigurationError(
            f"A parse_chat_message plugin returned {type(result).__name__}; return a "
            "django_expense_ai.chat.grammar.ChatParse, or None to let the built-in parser read the message."
        )
    mention = result.category_mention
    category = mention.target if mention is not None and isinstance(mention.target, Category) else None
    return _Reading(result, "plugin", category)


def _grammar_kwargs(ctx: ChatContext) -> dict[str, Any]:
    # dollar_currency=None is the rule asked for: the grammar reads "$" as the
    # default currency when that is a dollar currency, else as USD, and then
    # notes "dollar_assumed" (a small confidence cost) so the guess shows.
    return {
        "today": ctx.today,
        "default_currency": ctx.currency,
        "dollar_currency": None,
        "max_length": settings.CHAT_MAX_LENGTH,
    }


def _names_of(parse: ChatParse) -> tuple[list[str], list[str]]:
    at = [m.name for m in parse.mentions if m.kind in _PERSON_KINDS]
    hashes = [m.name for m in parse.mentions if m.kind in ("category", "tag")]
    return at, hashes


def _system_reading(text: Any, ctx: ChatContext, *, shortcut: bool = False) -> _Reading:
    """The built-in grammar, run twice when there are mentions to resolve.

    The first pass (no lookups) finds the names; they are resolved in bounded
    queries; the second pass reads the message with the answers. A parse
    costs tens of microseconds, far less than a query per mention would.
    """
    kwargs = _grammar_kwargs(ctx)
    read = grammar.parse_shortcut if shortcut else grammar.parse_text
    parse = read(text, **kwargs)
    parser = "shortcut" if shortcut else "system"
    if ctx.user is None or not parse.mentions:
        return _Reading(parse, parser)
    at, hashes = _names_of(parse)
    targets = resolve_mentions(ctx.user, at_names=at, hash_names=hashes)
    if shortcut:
        parse = grammar.parse_shortcut(text, people=targets.people, groups=targets.groups, **kwargs)
    else:
        parse = grammar.parse_text(
            text, people=targets.people, groups=targets.groups, categories=targets.categories, **kwargs
        )
    mention = parse.category_mention
    return _Reading(
        parse, parser, mention.target if mention else None, _ambiguity(targets), checked_people=_pks(targets)
    )


def _pks(targets: MentionTargets) -> frozenset[Any]:
    return frozenset(person.pk for person in targets.people.values())


def _ambiguity(targets: MentionTargets) -> dict[str, Any]:
    return {"ambiguous": sorted(targets.ambiguous)} if targets.ambiguous else {}


def _ai_reading(text: str, ctx: ChatContext) -> _Reading:
    """Ask the user's AI provider; fall back to the system parser when it fails.

    Must not run inside a database transaction: the provider call is network I/O.
    """
    if ctx.user is None:  # no author, so no provider of theirs (chat_context gives them NORMAL mode)
        return _parse_with_plugins(text, ctx)
    try:
        result = ai.call_provider(
            ctx.user, "parse_chat", text=text, default_currency=ctx.currency, today=ctx.today
        )
    except ProviderError as err:
        reading = _parse_with_plugins(text, ctx)
        fallback = {
            "provider": err.provider or "",
            "error": type(err).__name__,
            "kind": getattr(err, "kind", "error"),
            "message": str(err)[:300],
        }
        if err.provider == ai.SYSTEM:
            note = "No AI provider is selected, so I used the built-in parser."
        else:
            note = "The AI parser was unavailable, so I used the built-in parser."
        details = {**reading.details, "fallback": fallback}
        return dataclasses.replace(reading, details=details, note=note)
    return _reading_from_entry(text, result, ctx)


def _reading_from_entry(text: str, result: Any, ctx: ChatContext) -> _Reading:
    """Turn a provider's :class:`~..providers.base.ChatEntry` into a parse.

    The typed ``@``/``#`` mentions are read by the grammar as usual; the
    people the provider names are added to them; its category counts when
    the user has a category of that name.
    """
    assert ctx.user is not None, "only _ai_reading calls it, for an author"
    entry = result.value
    kwargs = _grammar_kwargs(ctx)
    typed = grammar.parse_text(text, **kwargs)
    at, hashes = _names_of(typed)
    ai_people = [name.strip().lstrip("@") for name in entry.mentions if name.strip().lstrip("@")]
    ai_category = (entry.category or "").strip()
    targets = resolve_mentions(
        ctx.user, at_names=[*at, *ai_people], hash_names=[*hashes, *([ai_category] if ai_category else [])]
    )
    if typed.mentions:
        typed = grammar.parse_text(
            text, people=targets.people, groups=targets.groups, categories=targets.categories, **kwargs
        )
    mentions = list(typed.mentions)
    seen = {m.name.lower() for m in mentions if m.kind in _PERSON_KINDS}
    for name in ai_people:
        if name.lower() in seen:
            continue
        seen.add(name.lower())
        key = name.lower()
        if key in targets.people:
            mentions.append(ParsedMention("user", "@" + name, name, targets.people[key]))
        elif key in targets.groups:
            mentions.append(ParsedMention("group", "@" + name, name, targets.groups[key]))
        else:
            mentions.append(ParsedMention("person", "@" + name, name))

    category = targets.categories.get(ai_category.lower()) if ai_category else None
    category_name: str | None = ai_category or None
    guessed = category is not None
    if category is None and typed.category_mention is not None:
        category, category_name, guessed = typed.category_mention.target, typed.category, False
    reasons = [f"unresolved_mention:{m.text}" for m in mentions if m.kind == "person"]
    unresolved = len(reasons)
    amount, currency, error = _checked_amount(entry.amount, entry.currency or ctx.currency)
    description = (entry.description or "").strip()[: settings.CHAT_MAX_LENGTH]
    missing = [*(["amount"] if amount is None else []), *([] if description else ["description"])]
    people = [m for m in mentions if m.kind in _PERSON_KINDS]
    split_with = () if entry.is_income else tuple(m.text for m in people)
    split_count = None
    if split_with and not any(m.kind == "group" for m in people):
        split_count = len(split_with) + 1
    if error:
        reasons.append(error)
    # The model's own confidence, less the grammar's cost of unresolved names.
    confidence = 0.0 if error else grammar.penalise_unresolved(entry.confidence, unresolved)
    parse = ChatParse(
        amount=amount,
        currency=currency,
        description=description,
        date=entry.date,
        category=category_name,
        tags=typed.tags,
        mentions=tuple(mentions),
        is_income=bool(entry.is_income),
        split_count=split_count,
        split_with=split_with,
        confidence=round(confidence, 4),
        reasons=tuple(reasons),
        error=error,
        missing=tuple(missing),
    )
    details = {"provider": ai.result_details(result, max_raw=500), **_ambiguity(targets)}
    return _Reading(parse, "ai", category, details, category_guessed=guessed, checked_people=_pks(targets))


def _checked_amount(amount: Any, currency: str) -> tuple[Decimal | None, str, str]:
    """``(amount, currency, error)`` for an amount from outside the grammar (AI answers, edits)."""
    try:
        currency = normalize_currency(currency)
    except MoneyError:
        return None, currency, "unknown_currency"
    if amount is None:
        return None, currency, "no_amount"
    try:
        value = to_decimal(amount)
    except MoneyError:
        return None, currency, "no_amount"
    if value <= 0:
        return None, currency, "amount_not_positive"
    if value > DEFAULT_MAX_AMOUNT:
        return None, currency, "amount_too_large"
    try:
        return quantize(value, currency, strict=True), currency, ""
    except MoneyError:
        return None, currency, "too_many_decimals"


def _read(text: str, ctx: ChatContext) -> _Reading:
    """Parse with the parser ``quick_add_mode`` chooses."""
    mode = ctx.quick_add_mode
    if mode == QuickAddMode.SHORTCUT:
        return _system_reading(text, ctx, shortcut=True)
    if mode == QuickAddMode.AI:
        return _ai_reading(text, ctx)
    return _parse_with_plugins(text, ctx)


# -- submit ------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class ChatResult:
    """What one chat step produced.

    :param message: the user's :class:`ChatMessage` (its ``status`` tells the outcome).
    :param reply: the ``system`` reply or ``suggestion`` message added to the conversation.
    :param transaction: the transaction created, or ``None``.
    """

    message: ChatMessage
    reply: ChatMessage
    transaction: Transaction | None = None


def _check_author(user: UserLike) -> None:
    if user is None or not getattr(user, "is_authenticated", False) or getattr(user, "pk", None) is None:
        raise ChatError("Chat messages need a saved, authenticated user as their author.")


def _storable(text: str) -> str:
    if text.isascii() and "\x00" not in text:
        return text
    return _UNSTORABLE.sub("\ufffd", text)


def submit_message(user: UserLike, text: str, *, conversation_id: str = "main") -> ChatResult:
    """Save a chat message, parse it and, when it is clear enough, record the transaction.

    Steps: the message is saved (``draft``, then ``processing``) in its own
    short transaction; the parser ``UserPreferences.quick_add_mode`` names
    reads it (``shortcut``: only ``@person $amount ...``; ``normal``: the full
    system parser; ``ai``: the user's AI provider, falling back to the system
    parser on any :class:`ProviderError`); the parse is stored in
    ``metadata``. Then one of:

    * no usable amount (none, zero, negative, too large, too many decimals),
      or a message longer than ``EXPENSE_AI["CHAT_MAX_LENGTH"]`` (stored cut
      to that length): a ``system`` reply says what is missing; the message
      ends ``failed``;
    * confidence below ``EXPENSE_AI["CHAT_CONFIRM_BELOW"]``: a ``suggestion``
      message asks to confirm; nothing else is created and the message stays
      ``processing`` until :func:`confirm_suggestion` or :func:`reject_suggestion`;
    * otherwise, atomically: the :class:`Transaction` (source ``chat``,
      negative for an expense), its :class:`TransactionMention` rows, its
      equal splits, a ``system`` reply, status ``completed``; the
      ``chat_transaction_created`` hook runs after the commit.

    :param user: the author.
    :param text: the message as typed (stored as typed, never interpreted).
    :param conversation_id: groups messages (at most 255 characters).
    :returns: a :class:`ChatResult`.
    :raises ChatError: ``text`` is not a string, the user is not a saved
        authenticated user, or ``conversation_id`` is empty or too long.
    :raises UnknownCurrency: the user's stored currency is not ISO 4217.
    Any unexpected error marks the message ``failed`` (with a reply) before
    it propagates.
    """
    _check_author(user)
    if not isinstance(text, str):
        raise ChatError(f"A chat message must be text (str), not {type(text).__name__}.")
    if (
        not isinstance(conversation_id, str)
        or not conversation_id
        or len(conversation_id) > _CONVERSATION_MAX
    ):
        raise ChatError(
            f"conversation_id must be a non-empty string of at most {_CONVERSATION_MAX} characters."
        )
    max_length = settings.CHAT_MAX_LENGTH
    content = _storable(text)
    too_long = len(content) > max_length
    message = ChatMessage(
        user=user,
        conversation_id=conversation_id,
        message_type=MessageType.USER,
        content=content[:max_length],
        metadata={},
        status=MessageStatus.DRAFT,
    )
    # Nobody could see the draft between two statements of one transaction,
    # so it is inserted already processing: one round trip fewer.
    transition(message, MessageStatus.PROCESSING)
    # One INSERT: in autocommit it is its own transaction, committed before
    # anything else runs (inside a caller's atomic block it is theirs to commit).
    message.save(force_insert=True)
    try:
        if too_long:
            today = timezone.localdate()
            parse = grammar.parse_text(text, today=today, max_length=max_length)
            details = {"length": len(text), "max_length": max_length, "stored_length": max_length}
            kept = f"I kept only its first {max_length} characters."
            return _finish_failed(message, _Reading(parse, "system", details=details), suffix=kept)
        ctx = chat_context(user)
        reading = _read(content, ctx)  # may call a provider: no transaction of ours is open here
        return _conclude(message, reading, ctx)
    except Exception:
        _mark_broken(message)
        raise


def _conclude(message: ChatMessage, reading: _Reading, ctx: ChatContext) -> ChatResult:
    parse = reading.parse
    if parse.error or parse.amount is None:
        return _finish_failed(message, reading)
    if parse.confidence < settings.CHAT_CONFIRM_BELOW:
        return _suggest(message, reading, ctx)
    return _create(message, reading, ctx)


def _mentions_metadata(parse: ChatParse) -> list[dict[str, Any]]:
    rows = []
    for item, mention in zip(parse.to_metadata()["mentions"], parse.mentions, strict=True):
        kind = _mention_type(mention)
        item["type"] = kind
        if kind in ("user", "group", "category"):
            item[f"{kind}_id"] = item["id"]
        rows.append(item)
    return rows


def _mention_type(mention: ParsedMention) -> str:
    """The ``TransactionMention.mention_type`` of a parsed mention (an unresolved ``@`` is a user)."""
    return MentionType.USER.value if mention.kind == "person" else mention.kind


def _metadata(reading: _Reading, **extra: Any) -> dict[str, Any]:
    data = reading.parse.to_metadata()
    data["mentions"] = _mentions_metadata(reading.parse)
    data["parsed"]["category_id"] = getattr(reading.category, "pk", None)
    if reading.category_guessed:
        data["parsed"]["category_guessed"] = True
    data["parser"] = reading.parser
    data.update(reading.details)
    data.update(extra)
    return data


def _reply(
    message: ChatMessage,
    text: str,
    *,
    kind: str = MessageType.SYSTEM,
    status: str = MessageStatus.COMPLETED,
    transaction: Transaction | None = None,
    **metadata: Any,
) -> ChatMessage:
    reply = ChatMessage(
        user=message.user,
        conversation_id=message.conversation_id,
        message_type=kind,
        content=text,
        metadata={"reply_to": message.pk, **metadata},
        status=status,
        related_transaction=transaction,
    )
    reply.save(force_insert=True)
    return reply


def _with_note(note: str, text: str) -> str:
    return f"{note} {text}" if note else text


def _finish_failed(message: ChatMessage, reading: _Reading, *, suffix: str = "") -> ChatResult:
    text = " ".join(part for part in (reading.note, render_reply(reading.parse), suffix) if part)
    with db_transaction.atomic():
        transition(message, MessageStatus.FAILED, metadata=_metadata(reading))
        reply = _reply(message, text, error=reading.parse.error or "no_amount")
    return ChatResult(message, reply)


def _suggest(message: ChatMessage, reading: _Reading, ctx: ChatContext) -> ChatResult:
    text = _with_note(reading.note, render_suggestion(reading.parse, today=ctx.today))
    with db_transaction.atomic():
        suggestion = _reply(
            message,
            text,
            kind=MessageType.SUGGESTION,
            status=MessageStatus.PROCESSING,
            confidence=reading.parse.confidence,
        )
        metadata = _metadata(reading, awaiting_confirmation=True, suggestion_id=suggestion.pk)
        # Still processing: only the metadata changes, guarded like a transition.
        if not ChatMessage.objects.filter(pk=message.pk, status=MessageStatus.PROCESSING).update(
            metadata=metadata, updated_at=timezone.now()
        ):
            raise InvalidTransition(f"Chat message {message.pk} is no longer processing.")
        message.metadata = metadata
    return ChatResult(message, suggestion)


def _mark_broken(message: ChatMessage) -> None:
    """After an unexpected error: mark the message failed with a reply, if the database lets us."""
    try:
        with db_transaction.atomic():
            latest = ChatMessage.objects.filter(pk=message.pk).values_list("status", flat=True).first()
            if latest not in (MessageStatus.DRAFT, MessageStatus.PROCESSING):
                return
            message.status = latest
            metadata = {**(message.metadata or {}), "error": "internal_error"}
            transition(message, MessageStatus.FAILED, metadata=metadata)
            _reply(
                message,
                "Sorry, something went wrong and nothing was recorded. Please try again.",
                error="internal_error",
            )
    except Exception:  # noqa: BLE001 - the original error is the one to raise
        logger.exception("Could not mark chat message %s failed", message.pk)


# -- creating the transaction --------------------------------------------------------


def _split_plan(parse: ChatParse, author: Any, members: Mapping[Any, list[Any]]) -> dict[str, Any] | None:
    """Who shares the transaction, and whether the split can be applied.

    Everyone named (resolved people, the members of resolved groups) shares
    equally with the author. The split is applied only when every ``@name``
    resolved and the people counted match the count asked for ("split 3
    ways" with nobody named records the 3 and splits nothing); otherwise the
    plan is kept in metadata for a person to finish.
    """
    people = [m for m in parse.mentions if m.kind in _PERSON_KINDS]
    if parse.is_income or (not people and not parse.split_count):
        return None
    participants = [author.pk]
    for mention in people:
        if mention.kind == "user":
            ids = [mention.target.pk]
        elif mention.kind == "group":
            ids = members.get(mention.target.pk, [])
        else:
            ids = []
        for pk in ids:
            if pk not in participants:
                participants.append(pk)
    count = parse.split_count or len(participants)
    plan: dict[str, Any] = {"count": count, "participants": participants, "applied": False, "reason": ""}
    unresolved = [m.text for m in people if m.kind == "person"]
    if unresolved:
        plan["reason"] = "unresolved_mentions"
        plan["unresolved"] = unresolved
    elif count != len(participants):
        plan["reason"] = "count_mismatch"
    elif len(participants) < 2:
        plan["reason"] = "nobody_to_split_with"
    else:
        plan["applied"] = True
    return plan


def _split_note(plan: dict[str, Any] | None) -> str:
    if not plan or plan["applied"]:
        return ""
    if plan["reason"] == "unresolved_mentions":
        return "I didn't split it yet because I don't know everyone mentioned."
    if plan["reason"] == "count_mismatch":
        return (
            f"I didn't split it: you said {plan['count']} ways but I know "
            f"{len(plan['participants'])} of the people; name them with @ to split it."
        )
    return "I didn't split it: there is nobody else to split with."


def _create(
    message: ChatMessage, reading: _Reading, ctx: ChatContext, *, confirmed: bool = False
) -> ChatResult:
    """Write the transaction, its mentions, splits and the reply, all or nothing."""
    parse = reading.parse
    author = message.user
    groups = [m.target for m in parse.mentions if m.kind == "group"]
    members = group_member_ids(groups) if groups and not parse.is_income else {}
    plan = _split_plan(parse, author, members)
    assert parse.amount is not None  # _conclude sends a parse without an amount to _finish_failed
    amount = parse.amount if parse.is_income else -parse.amount
    description = parse.description[:_DESCRIPTION_MAX]
    tx = Transaction(
        user=author,
        account=ctx.account,
        date=parse.date,
        amount=amount,
        currency=parse.currency,
        description=description,
        category=None if reading.category_guessed else reading.category,
        group=groups[0] if groups else None,
        paid_by=author,
        source=TransactionSource.CHAT,
        chat_message=message,
    )
    # The user's category always wins; then history; the AI's guess only where history is unsure.
    decision = categorize_new_transactions(author.pk, [tx])[0]
    if tx.category_id is None and reading.category is not None:
        tx.category = reading.category
    extra: dict[str, Any] = {"split": plan} if plan else {}
    if decision.suggestion is not None:
        extra["category_suggestion"] = {**decision.suggestion.to_data(), "applied": decision.applied}
    if len(parse.description) > _DESCRIPTION_MAX:
        extra["description_truncated"] = True
    if confirmed:
        extra["confirmed"] = True
    text = render_reply(parse, today=ctx.today)
    text = " ".join(part for part in (reading.note, text, _split_note(plan), _category_note(decision)) if part)
    with db_transaction.atomic():
        ledger.create_transactions(author, [tx], one_by_one=True)
        mentions = _mention_rows(parse, tx, author)
        if mentions:
            TransactionMention.objects.bulk_create(mentions)
        if plan and plan["applied"]:
            apply_split(
                tx,
                plan["participants"],
                SplitMethod.EQUAL,
                new_transaction=True,
                checked_participants=reading.checked_people,
            )
        metadata = _metadata(reading, transaction_id=tx.pk, **extra)
        if confirmed:
            metadata["edits"] = message.metadata.get("edits", [])
            metadata["suggestion_id"] = message.metadata.get("suggestion_id")
        transition(message, MessageStatus.COMPLETED, metadata=metadata, related_transaction=tx)
        reply = _reply(message, text, transaction=tx, transaction_id=tx.pk)
        db_transaction.on_commit(
            lambda: plugins.hook().chat_transaction_created(message=message, transaction=tx), robust=True
        )
    return ChatResult(message, reply, tx)


def _category_note(decision: Decision) -> str:
    suggestion = decision.suggestion
    if suggestion is None:
        return ""
    if decision.applied:
        return f"I filed it under {suggestion.category.name}: {suggestion.reason}."
    return f"Is it {suggestion.category.name}? {suggestion.reason}."


def _mention_rows(parse: ChatParse, tx: Transaction, author: Any) -> list[TransactionMention]:
    rows = []
    for mention in parse.mentions:
        kind = _mention_type(mention)
        rows.append(
            TransactionMention(
                transaction=tx,
                created_by=author,
                mention_type=kind,
                mentioned_user=mention.target if mention.kind == "user" else None,
                mentioned_group=mention.target if mention.kind == "group" else None,
                mentioned_text=mention.text[:_MENTION_TEXT_MAX],
            )
        )
    return rows


# -- suggestions ---------------------------------------------------------------------

_EDITABLE = frozenset({"amount", "currency", "description", "category", "date", "is_income"})


def _awaiting(message: ChatMessage) -> ChatMessage:
    """The user's message a suggestion is about, locked for this transaction."""
    if message.message_type == MessageType.SUGGESTION:
        pk = (message.metadata or {}).get("reply_to")
    elif message.message_type == MessageType.USER:
        pk = message.pk
    else:
        pk = None
    locked = (
        ChatMessage.objects.select_for_update().filter(pk=pk, message_type=MessageType.USER).first()
        if pk is not None
        else None
    )
    if locked is None:
        raise ChatError(f"Chat message {message.pk} is not a user message or a suggestion about one.")
    if locked.status != MessageStatus.PROCESSING or not locked.metadata.get("awaiting_confirmation"):
        raise InvalidTransition(
            f"Chat message {locked.pk} is not waiting for confirmation (status {locked.status!r})."
        )
    return locked


def _reading_from_metadata(message: ChatMessage) -> _Reading:
    """Rebuild the stored parse (targets re-read: one query per kind)."""
    data = message.metadata
    parsed = data["parsed"]
    by_kind: dict[str, set[Any]] = {"user": set(), "group": set()}
    for item in data.get("mentions", []):
        if item.get("resolved") and item["type"] in by_kind and item.get("id") is not None:
            by_kind[item["type"]].add(item["id"])
    users = get_user_model().objects.in_bulk(list(by_kind["user"])) if by_kind["user"] else {}
    groups = Group.objects.in_bulk(list(by_kind["group"])) if by_kind["group"] else {}
    category_ids = {
        item["id"] for item in data.get("mentions", []) if item["type"] == "category" and item["id"]
    }
    if parsed.get("category_id"):
        category_ids.add(parsed["category_id"])
    categories = Category.objects.in_bulk(list(category_ids)) if category_ids else {}
    mentions = []
    for item in data.get("mentions", []):
        kind, target = item["type"], None
        if item.get("resolved"):
            loaded: dict[str, dict[Any, Any]] = {"user": users, "group": groups, "category": categories}
            target = loaded.get(kind, {}).get(item.get("id"))
        if kind == "user" and target is None:
            kind = "person"  # unresolved then, or the person was deleted since
        elif kind in ("group", "category") and target is None:
            kind = "person" if kind == "group" else "tag"
        mentions.append(ParsedMention(kind, item["text"], item["name"], target))
    amount = parsed.get("amount")
    parse = ChatParse(
        amount=None if amount is None else Decimal(amount),
        currency=parsed["currency"],
        description=parsed.get("description") or "",
        date=dt.date.fromisoformat(parsed["date"]),
        category=parsed.get("category"),
        tags=tuple(parsed.get("tags") or ()),
        mentions=tuple(mentions),
        is_income=bool(parsed.get("is_income")),
        split_count=parsed.get("split_count"),
        split_with=tuple(parsed.get("split_with") or ()),
        confidence=float(data.get("confidence", 0.0)),
        reasons=tuple(data.get("reasons") or ()),
        error=data.get("error") or "",
        missing=tuple(data.get("missing") or ()),
    )
    details = {key: data[key] for key in ("fallback", "provider", "ambiguous") if key in data}
    category = categories.get(parsed.get("category_id")) if parsed.get("category_id") else None
    guessed = bool(parsed.get("category_guessed")) and category is not None
    return _Reading(parse, data.get("parser", "system"), category, details, category_guessed=guessed)


def _category_edit(user: UserLike, value: Any) -> Any:
    if value is None or isinstance(value, Category):
        if value is not None and not Category.objects.for_user(user).filter(pk=value.pk).exists():
            raise ChatError(f"Category {value.pk} is neither the user's nor a system category.")
        return value
    if isinstance(value, str):
        found = resolve_mentions(user, hash_names=[value]).categories.get(value.strip().lstrip("#").lower())
        if found is None:
            raise ChatError(f"The user has no category named {value[:50]!r}.")
        return found
    raise ChatError(f"category must be a Category, its name or key, or None; not {type(value).__name__}.")


def _apply_edits(reading: _Reading, user: UserLike, edits: Mapping[str, Any]) -> _Reading:
    unknown = set(edits) - _EDITABLE
    if unknown:
        raise ChatError(
            f"Cannot edit {', '.join(sorted(unknown))}; editable: {', '.join(sorted(_EDITABLE))}."
        )
    parse, category = reading.parse, reading.category
    changes: dict[str, Any] = {}
    currency = edits.get("currency", parse.currency)
    if "amount" in edits or "currency" in edits:
        raw = edits.get("amount", parse.amount)
        if isinstance(raw, float):
            raise ChatError("amount must be a Decimal, int or decimal string, not a float.")
        amount, currency, error = _checked_amount(raw, currency)
        if error:
            raise ChatError(
                f"amount {str(raw)[:40]!r} in {str(currency)[:10]!r} cannot be recorded ({error})."
            )
        changes.update(amount=amount, currency=currency)
    if "description" in edits:
        description = edits["description"]
        if not isinstance(description, str) or len(description) > settings.CHAT_MAX_LENGTH:
            raise ChatError(f"description must be text of at most {settings.CHAT_MAX_LENGTH} characters.")
        changes["description"] = description.strip()
    if "date" in edits:
        value = edits["date"]
        if isinstance(value, str):
            try:
                value = dt.date.fromisoformat(value)
            except ValueError as err:
                raise ChatError(f"date {value[:20]!r} is not YYYY-MM-DD.") from err
        if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
            raise ChatError("date must be a datetime.date or a YYYY-MM-DD string.")
        changes["date"] = value
    if "is_income" in edits:
        if not isinstance(edits["is_income"], bool):
            raise ChatError("is_income must be True or False.")
        changes["is_income"] = edits["is_income"]
    if "category" in edits:
        category = _category_edit(user, edits["category"])
        changes["category"] = category.name if category is not None else None
        reading = dataclasses.replace(reading, category_guessed=False)  # the user chose it
    if parse.amount is None and "amount" not in changes:
        raise ChatError("The suggestion has no amount; confirm it with amount=...")
    return dataclasses.replace(reading, parse=dataclasses.replace(parse, **changes), category=category)


def confirm_suggestion(message: ChatMessage, **edits: Any) -> ChatResult:
    """Accept a suggestion (optionally corrected) and create its transaction.

    :param message: the user's message that is waiting for confirmation, or
        the ``suggestion`` message about it.
    :param edits: corrections applied first: ``amount`` (``Decimal``, ``int``
        or decimal string), ``currency``, ``description``, ``category`` (a
        :class:`Category`, its name or key, or ``None``), ``date`` (a date or
        ``YYYY-MM-DD``), ``is_income``.
    :returns: a :class:`ChatResult` with the transaction; the message is
        ``completed`` and the suggestion too.
    :raises InvalidTransition: the message is not waiting (already confirmed
        or rejected, perhaps by a concurrent request).
    :raises ChatError: an unknown or invalid edit (nothing is changed then).
    """
    with db_transaction.atomic():
        locked = _awaiting(message)
        reading = _apply_edits(_reading_from_metadata(locked), locked.user, edits)
        locked.metadata = {**locked.metadata, "edits": sorted(edits)}
        ctx = chat_context(locked.user)
        result = _create(locked, reading, ctx, confirmed=True)
        _close_suggestion(locked, MessageStatus.COMPLETED)
    _sync(message, locked)
    return result


def reject_suggestion(message: ChatMessage) -> ChatResult:
    """Decline a suggestion: nothing is recorded and the message ends ``failed``.

    :param message: the waiting user message, or the suggestion about it.
    :returns: a :class:`ChatResult` with the reply and no transaction.
    :raises InvalidTransition: the message is not waiting for confirmation.
    :raises ChatError: ``message`` is neither a user message nor a suggestion.
    """
    with db_transaction.atomic():
        locked = _awaiting(message)
        metadata = {**locked.metadata, "awaiting_confirmation": False, "rejected": True}
        transition(locked, MessageStatus.FAILED, metadata=metadata)
        reply = _reply(locked, "OK, I didn't record it. Send it again with the right details.", rejected=True)
        _close_suggestion(locked, MessageStatus.FAILED)
    _sync(message, locked)
    return ChatResult(locked, reply)


def _close_suggestion(message: ChatMessage, status: str) -> None:
    suggestion_id = message.metadata.get("suggestion_id")
    if suggestion_id:
        ChatMessage.objects.filter(
            pk=suggestion_id, message_type=MessageType.SUGGESTION, status=MessageStatus.PROCESSING
        ).update(status=status, updated_at=timezone.now())


def _sync(given: ChatMessage, locked: ChatMessage) -> None:
    """Bring the caller's object (the user message or the suggestion) up to date."""
    if given is not locked:
        given.refresh_from_db()
