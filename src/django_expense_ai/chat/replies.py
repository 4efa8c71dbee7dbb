"""Short human replies to a chat message, from its :class:`~.grammar.ChatParse`.

Pure code. Replies are plain text: escaping is the template's or the chat
transport's job, so nothing is escaped here, but user text is only ever
echoed in bounded slices (``max_echo`` characters of the description, a few
mentions of bounded length), so a 1,000-character message cannot come back
as a 1,000-character reply.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ..money import minor_units, quantize
from .grammar import ChatParse

__all__ = ["format_amount", "render_reply", "render_suggestion"]

# Symbols we write in replies; each reads back as the same currency in the
# grammar (a bare "$" only for USD, so a CAD user sees "C$").
_REPLY_SYMBOLS = {
    "USD": "$",
    "EUR": "€",
    "GBP": "£",
    "JPY": "¥",
    "INR": "₹",
    "KRW": "₩",
    "RUB": "₽",
    "TRY": "₺",
    "AUD": "A$",
    "CAD": "C$",
    "BRL": "R$",
    "NZD": "NZ$",
    "HKD": "HK$",
    "SGD": "S$",
}

_MAX_MENTIONS_SHOWN = 5
_MAX_NAME = 32

_ERROR_REPLIES = {
    "no_amount": "How much was it? I couldn't find an amount.",
    "amount_not_positive": "The amount has to be more than zero. How much was it?",
    "amount_too_large": "That amount is larger than I can record. Please check it and send it again.",
    "too_long": "That message is too long. Send something short like “$12 lunch” or “@john $50 dinner”.",
    "empty": "Send an amount and what it was for, like “$12 lunch” or “@john $50 dinner”.",
    "not_text": "I can only read text messages. Try “$12 lunch”.",
    "not_shortcut": "Quick entry needs the form “@person $amount description”, like “@john $50 lunch”.",
    "unparseable": "Sorry, I couldn't read that. Try something like “$12 lunch”.",
}


def format_amount(amount: Decimal, currency: str) -> str:
    """Format money for a reply: ``$1,234.50``, ``¥1,250``, ``KWD 1.250``.

    All minor digits are always written, which is what lets the grammar read
    the text back to the same amount (``KWD 1,250`` alone would be ambiguous).

    :returns: the formatted text.
    :raises MoneyError: when ``amount`` has more decimals than ``currency``
        allows; :class:`~django_expense_ai.exceptions.UnknownCurrency` for a
        code that is not ISO 4217.
    """
    value = quantize(amount, currency, strict=True)
    code = currency.upper()
    digits = format(value, ",f")
    symbol = _REPLY_SYMBOLS.get(code)
    return f"{symbol}{digits}" if symbol else f"{code} {digits}"


def render_reply(parse: ChatParse, *, today: dt.date | None = None, max_echo: int = 60) -> str:
    """Turn a parse into one short reply.

    ``"Added $50.00 lunch at pizza place, split with @john"`` for a usable
    parse; a question or an explanation (``"How much was it? I couldn't find
    an amount."``) otherwise.

    :param today: when given, a date other than it is mentioned in the reply.
    :param max_echo: the most characters of the description to repeat.
    :returns: the reply text (plain, unescaped, bounded in length).
    """
    if parse.error:
        return _error_reply(parse)
    if parse.amount is None:  # not produced by the grammar, but never crash a reply
        return _ERROR_REPLIES["no_amount"]
    verb = "Recorded income of" if parse.is_income else "Added"
    return f"{verb} {_summary(parse, today, max_echo)}."


#: What each confidence reason leaves unsure, for suggestions.
_DOUBTS = {
    "currency_defaulted": "the currency",
    "dollar_assumed": "which dollar you meant",
    "conflicting_currency": "the currency",
    "ambiguous_separator": "the amount's decimal separator",
    "several_amounts": "which amount is the total",
    "unreadable_number": "a number I couldn't read",
    "no_description": "what it was for",
    "several_dates": "the date",
    "invalid_date": "the date",
    "future_date": "the date (it is in the future)",
    "several_categories": "the category",
    "split_without_people": "who to split with",
    "split_count_mismatch": "how many people share it",
    "split_on_income": "the split (income is not split)",
}


def render_suggestion(parse: ChatParse, *, today: dt.date | None = None, max_echo: int = 60) -> str:
    """Ask the user to confirm a parse the chat was not sure enough about.

    ``"Should I add $50.00 lunch, split with @jon (I don't know @jon yet)? I'm
    not sure about: the currency."``; for a parse with an error, the same
    text as :func:`render_reply`.

    :returns: the question (plain, unescaped, bounded in length).
    """
    if parse.error or parse.amount is None:
        return render_reply(parse, today=today, max_echo=max_echo)
    verb = "Should I record income of" if parse.is_income else "Should I add"
    text = f"{verb} {_summary(parse, today, max_echo)}?"
    doubts: list[str] = []
    for reason in parse.reasons:
        doubt = _DOUBTS.get(reason.split(":", 1)[0])
        if doubt and doubt not in doubts:
            doubts.append(doubt)
    if doubts:
        text += " I'm not sure about: " + ", ".join(doubts) + "."
    return text


def _summary(parse: ChatParse, today: dt.date | None, max_echo: int) -> str:
    """``$50.00 lunch, split with @john (notes)``: the parse without verb or full stop."""
    assert parse.amount is not None
    text = format_amount(parse.amount, parse.currency)
    text += f" {_clip(parse.description, max_echo)}" if parse.description else " (no description)"
    if today is not None and parse.date != today:
        text += f" on {parse.date:%a} {parse.date.day} {parse.date:%b %Y}"
    if parse.category:
        text += f", category {_clip(parse.category, _MAX_NAME)}"
    if parse.tags:
        text += ", tagged " + _names(["#" + tag for tag in parse.tags])
    if parse.split_with and parse.split_count and parse.split_count != len(parse.split_with) + 1:
        text += f", split {parse.split_count} ways with {_names(parse.split_with)}"
    elif parse.split_with:
        text += f", split with {_names(parse.split_with)}"
    elif parse.split_count:
        text += f", split {parse.split_count} ways"
    notes = []
    if "currency_defaulted" in parse.reasons:
        notes.append(f"I assumed {parse.currency}")
    unknown = [m.text for m in parse.mentions if m.kind == "person"]
    if unknown:
        notes.append(f"I don't know {_names(unknown)} yet")
    if notes:
        text += " (" + "; ".join(notes) + ")"
    return text


def _error_reply(parse: ChatParse) -> str:
    if parse.error == "too_many_decimals":
        places = minor_units(parse.currency)
        allowed = "no decimal places" if places == 0 else f"at most {places} decimal places"
        return (
            f"{parse.currency} amounts have {allowed}, and I won't round money. Please send the exact amount."
        )
    return _ERROR_REPLIES.get(parse.error, _ERROR_REPLIES["unparseable"])


def _clip(text: str, limit: int) -> str:
    """At most ``limit`` characters of user text."""
    limit = max(limit, 1)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _names(names: tuple[str, ...] | list[str]) -> str:
    """``@a, @b and @c``, bounded in count and length."""
    shown = [_clip(name, _MAX_NAME) for name in names[:_MAX_MENTIONS_SHOWN]]
    hidden = len(names) - len(shown)
    if hidden:
        return ", ".join(shown) + f" and {hidden} more"
    if len(shown) == 1:
        return shown[0]
    return ", ".join(shown[:-1]) + " and " + shown[-1]
