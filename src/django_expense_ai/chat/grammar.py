"""The chat quick-entry grammar: message text in, a frozen :class:`ChatParse` out.

Pure code: no ORM, no settings, no I/O. The service wrapper
(``django_expense_ai.chat.parse_message``) looks up the names a user may
mention and the user's currency, then calls :func:`parse_text` with plain
values. Everything here is safe to fuzz: user text is data, it is never
evaluated, and :func:`parse_text` never raises on any ``text``.

How a message is read (each pass blanks what it consumed with spaces of the
same length, so positions stay aligned and the leftovers become the
description):

1. clean: refuse over-long input, strip control/format characters (zero-width,
   bidi overrides), NFKC-fold (full-width digits, ``＄``), collapse spaces;
2. ``@name`` / ``#name`` mentions;
3. dates (ISO, today/yesterday, "N days ago", weekdays);
4. split phrases ("split 3 ways", "split with");
5. income words (received, salary, refund ...);
6. amounts, anywhere in the text: the first with a currency marker wins,
   else the largest bare number (smaller ones are usually counts);
7. the description: what is left, with filler words trimmed.

Numbers are read with ``Decimal`` and quantised strictly with
:mod:`django_expense_ai.money`; nothing is rounded.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Context, Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from ..exceptions import MoneyError
from ..money import iso_currencies, minor_units, money_str, normalize_currency, quantize, quantum

__all__ = [
    "DEFAULT_MAX_AMOUNT",
    "DEFAULT_MAX_LENGTH",
    "ChatParse",
    "ParsedMention",
    "parse_shortcut",
    "parse_text",
    "penalise_unresolved",
]

#: Largest amount accepted unless the caller passes ``max_amount``.
DEFAULT_MAX_AMOUNT = Decimal("99999999999.9999")
#: Longest message accepted unless the caller passes ``max_length``.
DEFAULT_MAX_LENGTH = 1000

# -- result types ------------------------------------------------------------


@dataclass(frozen=True)
class ParsedMention:
    """One ``@name`` or ``#name`` in a message.

    ``kind`` is ``"user"`` or ``"group"`` for a resolved ``@``, ``"person"``
    for an ``@`` nobody could resolve, ``"category"`` for a ``#`` that names a
    known category and ``"tag"`` for any other ``#``. ``text`` is the mention as
    typed (``"@John"``), ``name`` the part after the sigil and ``target`` the
    object the caller's mapping gave for it (``None`` when unresolved).
    """

    kind: str
    text: str
    name: str
    target: Any = field(default=None, compare=False)

    @property
    def resolved(self) -> bool:
        """True when a mapping supplied a target (tags never have one)."""
        return self.target is not None


@dataclass(frozen=True)
class ChatParse:
    """What :func:`parse_text` understood of one message.

    ``amount`` is a ``Decimal`` quantised to ``currency``'s minor units, or
    ``None`` when there is no usable amount (then ``error`` says why and
    ``missing`` contains ``"amount"``). ``confidence`` is in ``[0, 1]``;
    ``reasons`` holds one short code for each thing that lowered it.
    """

    amount: Decimal | None
    currency: str
    description: str
    date: dt.date
    category: str | None = None
    tags: tuple[str, ...] = ()
    mentions: tuple[ParsedMention, ...] = ()
    is_income: bool = False
    split_count: int | None = None
    split_with: tuple[str, ...] = ()
    confidence: float = 1.0
    reasons: tuple[str, ...] = ()
    error: str = ""
    missing: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """True when the parse can become a transaction (an amount, no error)."""
        return not self.error and self.amount is not None

    @property
    def category_mention(self) -> ParsedMention | None:
        """The ``#mention`` chosen as category (its ``target`` is the category), or ``None``."""
        for mention in self.mentions:
            if mention.kind == "category" and mention.name == self.category:
                return mention
        return None

    def to_metadata(self) -> dict[str, Any]:
        """Return a JSON-able dict of the parse, money as decimal strings.

        Shape: ``{"mentions": [{"type", "text", "name", "resolved", "id"}],
        "parsed": {"amount": "50.00", "currency", "description", "category",
        "tags", "date", "is_income", "split_count", "split_with"},
        "confidence": 0.95, "reasons": [...], "error": "", "missing": [...]}``.
        ``id`` is the target's ``pk`` when it has a plain one, else ``None``.
        """
        return {
            "mentions": [
                {
                    "type": m.kind,
                    "text": m.text,
                    "name": m.name,
                    "resolved": m.resolved,
                    "id": _plain_pk(m.target),
                }
                for m in self.mentions
            ],
            "parsed": {
                "amount": None if self.amount is None else money_str(self.amount),
                "currency": self.currency,
                "description": self.description,
                "category": self.category,
                "tags": list(self.tags),
                "date": self.date.isoformat(),
                "is_income": self.is_income,
                "split_count": self.split_count,
                "split_with": list(self.split_with),
            },
            "confidence": self.confidence,
            "reasons": list(self.reasons),
            "error": self.error,
            "missing": list(self.missing),
        }


def _make_parse(**fields: Any) -> ChatParse:
    """Build a :class:`ChatParse` (every field given)."""
    return ChatParse(**fields)


def _plain_pk(target: Any) -> int | str | None:
    pk = getattr(target, "pk", None)
    return pk if isinstance(pk, (int, str)) and not isinstance(pk, bool) else None


# -- confidence --------------------------------------------------------------

# Penalties in hundredths (integers, so 1.0 - 0.15 - 0.15 is exactly 0.7).
_PENALTY = {
    "currency_defaulted": 15,
    "dollar_assumed": 5,
    "conflicting_currency": 15,
    "unresolved_mention": 15,
    "ambiguous_separator": 15,
    "several_amounts": 20,
    "unreadable_number": 5,
    "no_description": 20,
    "several_dates": 10,
    "invalid_date": 15,
    "future_date": 10,
    "several_categories": 5,
    "split_without_people": 15,
    "split_count_mismatch": 10,
    "split_on_income": 10,
}
# Unresolved mentions stop costing more after two of them.
_MAX_UNRESOLVED_PENALTY = 30


def _confidence(reasons: list[str]) -> float:
    if not reasons:
        return 1.0
    total = 0
    unresolved = 0
    for reason in reasons:
        code = reason.split(":", 1)[0]
        if code == "unresolved_mention":
            unresolved += 1
            continue
        total += _PENALTY.get(code, 0)
    if unresolved:
        total += _unresolved_penalty(unresolved)
    return max(0, 100 - total) / 100


def _unresolved_penalty(count: int) -> int:
    """What ``count`` unresolved ``@`` mentions cost, in hundredths."""
    return min(_PENALTY["unresolved_mention"] * count, _MAX_UNRESOLVED_PENALTY)


def penalise_unresolved(confidence: float, unresolved: int) -> float:
    """A confidence from outside the grammar (an AI reading's), less what unresolved mentions cost.

    The same cost a grammar parse pays for each ``@name`` nobody could resolve,
    capped the same way, so both readings of a message weigh it alike.

    :param confidence: the reading's own confidence; clamped to at most 1.
    :param unresolved: how many ``@`` mentions stayed unresolved.
    :returns: a float in ``[0, 1]``.
    """
    return max(0.0, min(1.0, float(confidence)) - _unresolved_penalty(unresolved) / 100)


# -- currencies --------------------------------------------------------------

_DOLLAR = "$"  # sentinel: "the dollar the user means"

# Currencies written with a bare "$" locally; "$" means the user's own
# currency when it is one of these, else USD.
_DOLLAR_CURRENCIES = frozenset(
    "USD AUD CAD NZD SGD HKD TWD BSD BBD BZD BMD BND FJD GYD JMD KYD LRD NAD SBD SRD "
    "TTD XCD MXN ARS CLP COP CUP DOP UYU".split()
)

# Symbols and words, lower-cased (the amount pattern is case-insensitive).
_SYMBOLS: dict[str, str] = {
    "$": _DOLLAR,
    "us$": "USD",
    "a$": "AUD",
    "au$": "AUD",
    "c$": "CAD",
    "ca$": "CAD",
    "nz$": "NZD",
    "hk$": "HKD",
    "s$": "SGD",
    "r$": "BRL",
    "mx$": "MXN",
    "€": "EUR",
    "£": "GBP",
    "¥": "JPY",
    "₹": "INR",
    "₩": "KRW",
    "₽": "RUB",
    "₺": "TRY",
    "₪": "ILS",
    "₫": "VND",
    "฿": "THB",
    "₱": "PHP",
    "₴": "UAH",
    "₦": "NGN",
    "₡": "CRC",
    "₸": "KZT",
    "₾": "GEL",
    "₼": "AZN",
    "円": "JPY",
    "元": "CNY",
}
_PREFIX_WORDS: dict[str, str] = {"rs": "INR", "rs.": "INR"}
_SUFFIX_WORDS: dict[str, str] = {
    "buck": _DOLLAR,
    "bucks": _DOLLAR,
    "dollar": _DOLLAR,
    "dollars": _DOLLAR,
    "euro": "EUR",
    "euros": "EUR",
    "pound": "GBP",
    "pounds": "GBP",
    "quid": "GBP",
    "yen": "JPY",
    "rupee": "INR",
    "rupees": "INR",
    "yuan": "CNY",
    "rmb": "CNY",
    "zł": "PLN",
    "kč": "CZK",
}

# ISO codes that are also everyday words ("top 5", "50 all in"): they count
# as currencies only when written in capitals, next to a number.
_WORD_CODES = frozenset(
    "all top cup mop try pen gel cop bob sos mad bam cad ron rub ars dop ern mur che "
    "kes yer sar lak nok gip bif mga afn mnt".split()
)
# "No currency" and the testing code are not money a person spends.
_NOT_SPENDABLE = frozenset({"XXX", "XTS"})


def _code_currency(word: str) -> str | None:
    """ISO code for a three-letter word next to a number, else ``None``."""
    code = word.upper()
    if code not in iso_currencies() or code in _NOT_SPENDABLE:
        return None
    if word.lower() in _WORD_CODES and word != code:
        return None
    return code


def _alternation(words: list[str]) -> str:
    # Longest first so "us$" wins over "$".
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


# -- patterns ----------------------------------------------------------------

_CONTROL_RE = re.compile(
    "[\x00-\x08\x0e-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\ufeff\ufff9-\ufffb\ud800-\udfff\U000e0000-\U000e007f]"
)
# Digits from other scripts (Arabic-Indic, Persian, Devanagari, Bengali) and
# the Arabic separators; NFKC does not fold these.
_DIGITS = {
    **{0x0660 + i: str(i) for i in range(10)},
    **{0x06F0 + i: str(i) for i in range(10)},
    **{0x0966 + i: str(i) for i in range(10)},
    **{0x09E6 + i: str(i) for i in range(10)},
    0x066B: ".",
    0x066C: ",",
}
_FOREIGN_DIGIT_RE = re.compile("[\u0660-\u0669\u066b\u066c\u06f0-\u06f9\u0966-\u096f\u09e6-\u09ef]")

# A name: a letter, then word characters, dots/hyphens only between them
# (so "@john." at the end of a sentence is "john"). Separators are required
# between the repeated groups, so this cannot backtrack badly.
_MENTION_RE = re.compile(r"(?<![\w@#&])([@#])([^\W\d_]\w*(?:[.\-]\w+)*)")

_NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
    "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
}  # fmt: skip
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

# The keyword patterns are written in lower case and run on a lower-cased
# copy of the text (about twice as fast as IGNORECASE); the IGNORECASE twin is
# for the rare text whose lower-casing changes its length ("İ").


@dataclass(frozen=True)
class _Pattern:
    folded: re.Pattern[str]
    any_case: re.Pattern[str]


def _pattern(source: str, flags: int = 0) -> _Pattern:
    return _Pattern(re.compile(source, flags), re.compile(source, flags | re.IGNORECASE))


_DATE_RE = _pattern(
    r"""
    \b(?:on\s+)?(?P<y>[0-9]{4})(?P<sep>[-/])(?P<m>[0-9]{1,2})(?P=sep)(?P<d>[0-9]{1,2})(?![\w/\-])
    | \b(?:on\s+)?(?P<rel>(?:the\s+)?day\s+before\s+yesterday|yesterday|last\s+night|today|tonight)\b
    | \b(?P<n>[0-9]{1,5}|an?|one|two|three|four|five|six|seven|eight|nine|ten)\s+
        (?P<unit>days?|weeks?)\s+ago\b
    | \b(?:(?:on\s+)?(?P<wdq>last|this)\s+|on\s+)?
        (?P<wd>monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b
    """,
    re.VERBOSE,
)

_SPLIT_RE = _pattern(
    r"""
    \bsplit(?:\s+it)?\s+(?P<n>[0-9]{1,3}|two|three|four|five|six|seven|eight|nine|ten)\s*ways?\b
    | \bsplit(?:\s+it)?(?:\s+(?:evenly|equally|50/50))?(?:\s+(?:with|between|among(?:st)?)\b|\s+w/)?
      (?:\s+me\s+(?:and|&))?
    """,
    re.VERBOSE,
)

# Verbs are dropped from the description; nouns ("refund", "salary") stay.
_INCOME_RE = _pattern(
    r"\b(?:(?P<verb>got\s+paid|got\s+reimbursed|received|receive|reimbursed)"
    r"|salary|refund(?:ed)?|income|paycheck|reimbursement|earned|earnings)\b"
)

_PREFIXES = _alternation([*_SYMBOLS, *_PREFIX_WORDS])
_SUFFIX_SYMBOLS = _alternation(list(_SYMBOLS))
_SUFFIX_WORDS_ALT = _alternation(list(_SUFFIX_WORDS))

# One amount: [sign] [currency ] [sign] number [k] [ currency]. The number is
# a digit run with single separators between digits, which is linear to
# match; how the separators read is decided afterwards from minor units.
_AMOUNT_RE = _pattern(
    rf"""
    (?<![\w.,#@/:+\-'])
    (?=[+\-\u2212]?(?:[^\s0-9]{{1,4}}\ ?)?[+\-\u2212]?[0-9])  # cheap: a digit must be near
    (?P<sign>[+\-\u2212])?
    (?:(?P<pre>{_PREFIXES}|[a-z]{{3}})\ ?)?
    (?P<sign2>[+\-\u2212])?
    (?P<num>[0-9](?:[0-9]|[.,'](?=[0-9]))*)
    (?P<mult>k)?
    (?:\ ?(?P<post>{_SUFFIX_SYMBOLS}|(?:{_SUFFIX_WORDS_ALT}|[a-z]{{3}})(?!\w)))?
    (?![\w/:%]|[.,'\-][0-9])
    """,
    re.VERBOSE,
)

_DIGIT_RE = re.compile("[0-9]")
_MARK = "\x01"  # stands where a mention was; control chars never survive cleaning
# Words that only tie mentions into the sentence ("dinner with @a and @b").
_MENTION_CONNECTORS = frozenset({"with", "and", "from", "w/", "&", ",", "+"})

# Cheap substring checks that let most messages skip the costlier patterns.

_LEADING_FILLER = frozenset(
    "for paid pay payed on spent spend at to bought buy got cost costs with and from was is".split()
)
_TRAILING_FILLER = frozenset("for on at with and from to of by".split())
# Punctuation left at the ends once amounts and mentions are gone ("$12 - lunch").
# A leading "." or "/" stays: ".NET course", "/r/food".
_LEADING_PUNCT = ",;:!?-–—&+=|*"
_TRAILING_PUNCT = ",;:.!?-–—&+=|/*"

_THOUSAND = Decimal(1000)
_CTX = Context(prec=60)  # room for "99999999999.9999" times 1000, whatever the thread's context


# -- the parse ---------------------------------------------------------------


def parse_text(
    text: Any,
    *,
    today: dt.date,
    default_currency: str = "USD",
    dollar_currency: str | None = None,
    people: Mapping[str, object] | None = None,
    groups: Mapping[str, object] | None = None,
    categories: Mapping[str, object] | None = None,
    max_length: int = DEFAULT_MAX_LENGTH,
    max_amount: Decimal = DEFAULT_MAX_AMOUNT,
) -> ChatParse:
    """Read one chat message such as ``"@john $50 lunch at pizza place"``.

    :param text: the message; anything that is not a ``str`` gives ``error="not_text"``.
    :param today: the user's local date; relative dates count from it and it
        is the date when the message names none.
    :param default_currency: ISO code used when the message names no currency.
    :param dollar_currency: what a bare ``$`` means; when ``None``, the
        default currency if it is a dollar currency, else USD.
    :param people: lower-cased names → users, for ``@name``.
    :param groups: lower-cased names → groups, for ``@name`` that is no person.
    :param categories: lower-cased names → categories, for ``#name``; any
        other ``#name`` is a tag.
    :param max_length: longer messages are refused (``error="too_long"``).
    :param max_amount: larger amounts are refused (``error="amount_too_large"``).
    :returns: a :class:`ChatParse`; never raises because of ``text``. Error
        codes: ``not_text``, ``empty``, ``too_long``, ``no_amount``,
        ``amount_not_positive``, ``amount_too_large``, ``too_many_decimals``,
        ``unparseable`` (an internal failure, reported rather than raised).
    :raises UnknownCurrency: when ``default_currency`` or ``dollar_currency``
        is not an ISO 4217 code (a caller's mistake, not the user's).
    """
    options = _options(default_currency, dollar_currency, max_amount)
    try:
        return _parse(text, today, options, people, groups, categories, max_length)
    except Exception:  # noqa: BLE001 - user text must never crash the caller
        return _failed("unparseable", options.default_currency, today, missing=("amount",))


def parse_shortcut(
    text: Any,
    *,
    today: dt.date,
    default_currency: str = "USD",
    dollar_currency: str | None = None,
    people: Mapping[str, object] | None = None,
    groups: Mapping[str, object] | None = None,
    max_length: int = DEFAULT_MAX_LENGTH,
    max_amount: Decimal = DEFAULT_MAX_AMOUNT,
) -> ChatParse:
    """Read only the strict ``@person $amount [description]`` form.

    The description is the rest of the message as typed (cleaned), with no
    date, tag or split phrases read from it; the mentioned person (or group)
    shares the expense equally with the author.

    :returns: a :class:`ChatParse`; anything else gives ``error="not_shortcut"``
        (confidence 0) or one of the amount errors of :func:`parse_text`.
    :raises UnknownCurrency: for a bad ``default_currency``/``dollar_currency``.
    """
    options = _options(default_currency, dollar_currency, max_amount)
    try:
        return _parse_shortcut(text, today, options, people, groups, max_length)
    except Exception:  # noqa: BLE001 - user text must never crash the caller
        return _failed("unparseable", options.default_currency, today, missing=("amount",))


@dataclass(frozen=True)
class _Options:
    default_currency: str
    dollar_currency: str
    dollar_guessed: bool  # "$" fell back to USD for a non-dollar user
    max_amount: Decimal


@lru_cache(maxsize=64)
def _options(default_currency: str, dollar_currency: str | None, max_amount: Decimal) -> _Options:
    default = normalize_currency(default_currency)
    if dollar_currency is not None:
        dollar, guessed = normalize_currency(dollar_currency), False
    elif default in _DOLLAR_CURRENCIES:
        dollar, guessed = default, False
    else:
        dollar, guessed = "USD", True
    return _Options(default, dollar, guessed, Decimal(max_amount))


def _failed(
    error: str, currency: str, today: dt.date, *, missing: tuple[str, ...] = (), reasons: tuple[str, ...] = ()
) -> ChatParse:
    return ChatParse(
        amount=None,
        currency=currency,
        description="",
        date=today,
        confidence=0.0,
        reasons=(*reasons, error),
        error=error,
        missing=missing,
    )


def _clean(text: str) -> str:
    """Drop control/format characters, fold compatibility forms, collapse spaces."""
    if not text.isprintable():
        text = _CONTROL_RE.sub("", text)
    if not text.isascii():
        if not unicodedata.is_normalized("NFKC", text):
            text = unicodedata.normalize("NFKC", text)
        if _FOREIGN_DIGIT_RE.search(text):
            text = text.translate(_DIGITS)
    return " ".join(text.split())


def _precheck(text: Any, today: dt.date, options: _Options, max_length: int) -> str | ChatParse:
    """The cleaned text, or a failed parse for input we refuse outright."""
    currency = options.default_currency
    if not isinstance(text, str):
        return _failed("not_text", currency, today, missing=("amount", "description"))
    if len(text) > max_length:
        return _failed("too_long", currency, today)
    cleaned = _clean(text)
    # NFKC can lengthen text (one ligature becomes many letters).
    if len(cleaned) > max_length:
        return _failed("too_long", currency, today)
    if not cleaned:
        return _failed("empty", currency, today, missing=("amount", "description"))
    return cleaned


def _blank(text: str, spans: list[tuple[int, int]], mark: str = "") -> str:
    """``text`` with each (sorted, disjoint) span replaced by spaces of the same length."""
    parts: list[str] = []
    pos = 0
    for start, end in spans:
        parts.append(text[pos:start])
        parts.append(mark + " " * (end - start - len(mark)))
        pos = end
    parts.append(text[pos:])
    return "".join(parts)


class _Text:
    """The message as the passes read it.

    ``work`` is what the passes have left of the cleaned text; ``folded`` is its
    lower-cased copy, which the keyword patterns scan. When lower-casing changed
    the length (``fold_ok`` false), positions in the two would not agree: the
    patterns' ``IGNORECASE`` twins scan ``work`` instead and ``folded`` is left
    as it was (it only serves the cheap substring checks).
    """

    __slots__ = ("work", "folded", "fold_ok")

    def __init__(self, cleaned: str) -> None:
        self.work = cleaned
        self.folded = cleaned.lower()
        self.fold_ok = len(self.folded) == len(cleaned)

    def scan(self, pattern: _Pattern) -> list[re.Match[str]]:
        """Every match of ``pattern`` in what is left."""
        if self.fold_ok:
            return list(pattern.folded.finditer(self.folded))
        return list(pattern.any_case.finditer(self.work))

    def consume(self, matches: list[re.Match[str]], mark: str = "") -> None:
        """Blank what ``matches`` matched (see :func:`_blank`)."""
        spans = [m.span() for m in matches]
        self.work = _blank(self.work, spans, mark)
        if self.fold_ok:
            self.folded = _blank(self.folded, spans, mark)


def _parse(
    text: Any,
    today: dt.date,
    options: _Options,
    people: Mapping[str, object] | None,
    groups: Mapping[str, object] | None,
    categories: Mapping[str, object] | None,
    max_length: int,
) -> ChatParse:
    """The passes of the module docstring, in order; each stage blanks what it read."""
    cleaned = _precheck(text, today, options, max_length)
    if isinstance(cleaned, ChatParse):
        return cleaned
    reasons: list[str] = []
    message = _Text(cleaned)
    # Cheap substring checks let most messages skip the costlier stages.
    mentions: list[ParsedMention] = []
    if "@" in message.work or "#" in message.work:
        mentions = _read_mentions(message, people, groups, categories)
    date = today
    folded = message.folded
    if "day" in folded or "ago" in folded or "night" in folded or "-" in folded or "/" in folded:
        date = _read_dates(message, today, reasons)
    split_words: list[re.Match[str]] = []
    if "split" in message.folded:
        split_words = message.scan(_SPLIT_RE)
        message.consume(split_words)
    folded = message.folded
    is_income = (
        "paid" in folded
        or "receiv" in folded
        or "reimburs" in folded
        or "salary" in folded
        or "refund" in folded
        or "income" in folded
        or "paycheck" in folded
        or "earn" in folded
    ) and _read_income(message)
    chosen = _read_amount(message, options, reasons)
    if chosen is not None:
        is_income = is_income or chosen.sign == "+"
    description = _description(message.work)

    category, tags, participants = _sort_mentions(mentions, reasons)
    split_count, split_with = _split(split_words, participants, is_income, reasons)
    if chosen is None:
        amount, error, currency = None, "no_amount", options.default_currency
    else:
        error, currency = chosen.error, chosen.currency
        amount = None if error else chosen.value
    return _finish(
        amount=amount,
        error=error,
        currency=currency,
        description=description,
        date=date,
        reasons=reasons,
        category=category,
        tags=tuple(tags),
        mentions=tuple(mentions),
        is_income=is_income,
        split_count=split_count,
        split_with=split_with,
    )


def _read_mentions(
    message: _Text,
    people: Mapping[str, object] | None,
    groups: Mapping[str, object] | None,
    categories: Mapping[str, object] | None,
) -> list[ParsedMention]:
    """2. The ``@name``/``#name`` mentions, each name once, resolved; a mark stays where each stood."""
    mentions: list[ParsedMention] = []
    seen: set[tuple[str, str]] = set()
    found = list(_MENTION_RE.finditer(message.work))
    for match in found:
        sigil, name = match.group(1), match.group(2)
        key = (sigil, name.lower())
        if key not in seen:
            seen.add(key)
            mentions.append(_resolve(sigil, name, people, groups, categories))
    message.consume(found, _MARK)
    return mentions


def _read_dates(message: _Text, today: dt.date, reasons: list[str]) -> dt.date:
    """3. The date the message names (the first of several), else ``today``."""
    found = message.scan(_DATE_RE)
    dates = []
    for match in found:
        when = _read_date(match, today)
        if when is None:
            reasons.append("invalid_date")
        else:
            dates.append(when)
    message.consume(found)
    date = dates[0] if dates else today
    if len(dates) > 1:
        reasons.append("several_dates")
    if date > today:
        reasons.append("future_date")
    return date


def _read_income(message: _Text) -> bool:
    """5. Whether income words are there; verbs leave the description, nouns ("refund") stay."""
    found = message.scan(_INCOME_RE)
    message.consume([m for m in found if m.group("verb")])
    return bool(found)


def _read_amount(message: _Text, options: _Options, reasons: list[str]) -> _Candidate | None:
    """6. The amount the message is about (see :func:`_choose`), blanked from ``work``."""
    candidates: list[_Candidate] = []
    if _DIGIT_RE.search(message.work):
        for match in message.scan(_AMOUNT_RE):
            candidate = _candidate(match, options, message.work)
            if candidate is None:
                continue
            if candidate.error == "unreadable_number":
                reasons.append("unreadable_number")
            else:
                candidates.append(candidate)
    chosen = _choose(candidates)
    if len(candidates) > 1:
        reasons.append("several_amounts")
    if chosen is not None:
        # Only the description reads on, from ``work``: ``folded`` need not follow.
        message.work = _blank(message.work, [(chosen.start, chosen.end)])
        reasons.extend(chosen.reasons)
    return chosen


def _sort_mentions(
    mentions: list[ParsedMention], reasons: list[str]
) -> tuple[str | None, list[str], list[ParsedMention]]:
    """``(category, tags, participants)``: the first known ``#`` is the category, any other
    ``#`` a tag, and every ``@`` a participant."""
    category = None
    tags: list[str] = []
    participants: list[ParsedMention] = []
    for mention in mentions:
        if mention.kind == "category":
            if category is None:
                category = mention.name
            else:
                reasons.append("several_categories")
        elif mention.kind == "tag":
            tags.append(mention.name)
        else:
            participants.append(mention)
            if mention.kind == "person":
                reasons.append(f"unresolved_mention:{mention.text}")
    return category, tags, participants


def _finish(
    *,
    amount: Decimal | None,
    error: str,
    currency: str,
    description: str,
    date: dt.date,
    reasons: list[str],
    category: str | None,
    tags: tuple[str, ...],
    mentions: tuple[ParsedMention, ...],
    is_income: bool,
    split_count: int | None,
    split_with: tuple[str, ...],
) -> ChatParse:
    """The parse, with what is missing, the last reasons and the confidence settled."""
    missing: list[str] = []
    if amount is None:
        missing.append("amount")
    if not description:
        missing.append("description")
        reasons.append("no_description")
    if error:
        reasons.append(error)
    return _make_parse(
        amount=amount,
        currency=currency,
        description=description,
        date=date,
        category=category,
        tags=tags,
        mentions=mentions,
        is_income=is_income,
        split_count=split_count,
        split_with=split_with,
        confidence=0.0 if error else _confidence(reasons),
        reasons=tuple(reasons),
        error=error,
        missing=tuple(missing),
    )


def _choose(candidates: list[_Candidate]) -> _Candidate | None:
    """The amount the message is about.

    The first with a currency marker; failing that the largest bare number,
    since the smaller ones are usually counts ("3 beers 15", "lunch 12 for 2").
    """
    for candidate in candidates:
        if candidate.explicit:
            return candidate
    valued = [c for c in candidates if c.value is not None]
    if valued:
        return max(valued, key=lambda c: c.value or 0)
    return candidates[0] if candidates else None


def _resolve(
    sigil: str,
    name: str,
    people: Mapping[str, object] | None,
    groups: Mapping[str, object] | None,
    categories: Mapping[str, object] | None,
) -> ParsedMention:
    key = name.lower()
    text = sigil + name
    if sigil == "#":
        target = categories.get(key) if categories else None
        if target is not None:
            return ParsedMention("category", text, name, target)
        return ParsedMention("tag", text, name)
    target = people.get(key) if people else None
    if target is not None:
        return ParsedMention("user", text, name, target)
    target = groups.get(key) if groups else None
    if target is not None:
        return ParsedMention("group", text, name, target)
    return ParsedMention("person", text, name)


def _read_date(match: re.Match[str], today: dt.date) -> dt.date | None:
    """The date a date phrase names, or ``None`` when it names no real date."""
    if match.group("y"):
        try:
            return dt.date(int(match.group("y")), int(match.group("m")), int(match.group("d")))
        except ValueError:
            return None
    rel = match.group("rel")
    if rel:
        rel = rel.lower()
        if rel.endswith("before yesterday"):
            return today - dt.timedelta(days=2)
        if rel in ("yesterday",) or rel.startswith("last"):
            return today - dt.timedelta(days=1)
        return today
    number = match.group("n")
    if number:
        count = _NUMBER_WORDS.get(number.lower()) or int(number)
        days = count * 7 if match.group("unit").lower().startswith("week") else count
        if days > 3660:  # more than ten years back is a typo, not a receipt
            return None
        return today - dt.timedelta(days=days)
    weekday = _WEEKDAYS.index(match.group("wd").lower())
    back = (today.weekday() - weekday) % 7
    qualifier = (match.group("wdq") or "").lower()
    if back == 0 and qualifier == "last":
        back = 7  # "last monday" said on a Monday is a week ago
    return today - dt.timedelta(days=back)


def _split(
    split_words: list[re.Match[str]],
    participants: list[ParsedMention],
    is_income: bool,
    reasons: list[str],
) -> tuple[int | None, tuple[str, ...]]:
    """``(split_count, split_with)``: the author shares equally with the people named."""
    explicit_count = None
    for match in split_words:
        if match.group("n"):
            word = match.group("n").lower()
            explicit_count = _NUMBER_WORDS.get(word) or int(word)
            break
    if is_income:
        # Money received from @john is not shared with @john.
        if split_words:
            reasons.append("split_on_income")
        return None, ()
    texts: list[str] = []
    seen: set[str] = set()
    for mention in participants:
        if mention.text.lower() not in seen:
            seen.add(mention.text.lower())
            texts.append(mention.text)
    if explicit_count is not None:
        if explicit_count < 2 or explicit_count > 100:
            reasons.append("split_count_mismatch")
            explicit_count = None
        elif texts and explicit_count < len(texts) + 1:
            reasons.append("split_count_mismatch")
        return explicit_count, tuple(texts)
    if not texts:
        if split_words:
            reasons.append("split_without_people")
        return None, ()
    # A group's size is the wrapper's to know.
    if any(m.kind == "group" for m in participants):
        return None, tuple(texts)
    return len(texts) + 1, tuple(texts)


class _Candidate:
    """One amount seen in the text (a plain slotted class: built on the hot path)."""

    __slots__ = ("start", "end", "currency", "explicit", "sign", "value", "error", "reasons")

    def __init__(self, start: int, end: int, currency: str, explicit: bool, sign: str, reasons: list[str]):
        self.start = start
        self.end = end
        self.currency = currency
        self.explicit = explicit
        self.sign = sign
        self.value: Decimal | None = None
        self.error = ""
        self.reasons = reasons


def _currency_of(marker: str | None, options: _Options, *, is_prefix: bool) -> tuple[str | None, bool]:
    """(ISO code, came from a bare dollar) for a currency marker, or (None, False)."""
    if not marker:
        return None, False
    key = marker.lower()
    found = _SYMBOLS.get(key) or (_PREFIX_WORDS.get(key) if is_prefix else _SUFFIX_WORDS.get(key))
    if found == _DOLLAR:
        return options.dollar_currency, True
    if found == "JPY" and options.default_currency == "CNY":
        return "CNY", False  # ¥ is the yuan for someone who keeps yuan
    if found:
        return found, False
    if len(marker) == 3 and marker.isalpha():
        return _code_currency(marker), False
    return None, False


def _candidate(match: re.Match[str], options: _Options, text: str) -> _Candidate | None:
    """Read one amount match; ``None`` when it is not an amount after all.

    ``match`` may come from the lower-cased copy; currency words are taken
    from ``text`` at the same place, since case matters for "ALL" vs "all".
    """
    sign1, pre, sign2, num, mult, post = match.group("sign", "pre", "sign2", "num", "mult", "post")
    if pre:
        pre = text[match.start("pre") : match.end("pre")]
    if post:
        post = text[match.start("post") : match.end("post")]
    pre_currency, pre_dollar = _currency_of(pre, options, is_prefix=True)
    post_currency, post_dollar = _currency_of(post, options, is_prefix=False)
    if pre and not pre_currency and match.start("num") == match.end("pre"):
        return None  # "abc50": a word glued to a number is an id, not money
    # A sign belongs to the amount unless it stood before a word that is no currency.
    sign_group = "sign2" if sign2 else "sign" if sign1 and (pre_currency or not pre) else ""
    sign = (sign2 or sign1).replace("\u2212", "-") if sign_group else ""
    if pre_currency:
        start = match.start()
    else:
        start = match.start(sign_group or "num")
    end = match.end() if post_currency else match.end("mult") if mult else match.end("num")

    reasons: list[str] = []
    if pre_currency and post_currency and pre_currency != post_currency:
        # "$50 CAD": the code says which dollar; "$50 EUR" is a contradiction.
        if pre_dollar and post_currency in _DOLLAR_CURRENCIES:
            currency = post_currency
        elif post_dollar and pre_currency in _DOLLAR_CURRENCIES:
            currency = pre_currency
        else:
            currency = pre_currency
            reasons.append("conflicting_currency")
        dollar = False
    else:
        currency = pre_currency or post_currency or ""
        dollar = pre_dollar or post_dollar
    explicit = bool(currency)
    if not explicit:
        currency = options.default_currency
        reasons.append("currency_defaulted")
    elif dollar and options.dollar_guessed:
        reasons.append("dollar_assumed")

    candidate = _Candidate(start, end, currency, explicit, sign, reasons)

    minor = _minor_units(currency)
    value, ambiguous = _read_number(num, minor, bool(mult))
    if value is None:
        candidate.error = "unreadable_number"
        return candidate
    if ambiguous:
        reasons.append("ambiguous_separator")
    if mult:
        value = _CTX.multiply(value, _THOUSAND)
    if candidate.sign == "-" or value == 0:
        candidate.error = "amount_not_positive"
    elif value > options.max_amount:
        candidate.error = "amount_too_large"  # checked before quantising: huge values overflow it
    else:
        exponent = value.as_tuple().exponent
        if isinstance(exponent, int) and -exponent <= minor:
            # No more decimals than the currency has: padding zeros is exact.
            candidate.value = value.quantize(_quantum(currency))
        else:
            try:
                candidate.value = quantize(value, currency, strict=True)
            except (MoneyError, InvalidOperation):
                candidate.error = "too_many_decimals"
    return candidate


@lru_cache(maxsize=256)
def _minor_units(currency: str) -> int:
    return minor_units(currency)


@lru_cache(maxsize=256)
def _quantum(currency: str) -> Decimal:
    return quantum(currency)


def _grouped(head: str, groups: list[str]) -> bool:
    """True for thousands grouping: 1-3 leading digits, then groups of three."""
    return 1 <= len(head) <= 3 and not (head[0] == "0" and len(head) > 1) and all(len(g) == 3 for g in groups)


def _read_number(num: str, minor: int, has_mult: bool) -> tuple[Decimal | None, bool]:
    """``(value, ambiguous)`` for a digit run with separators, or ``(None, False)``.

    With both ``.`` and ``,`` the last one is the decimal mark. With one
    separator used once and three digits after it (``1.250``), the currency
    decides: no minor unit (JPY) reads thousands, three or more (KWD) reads
    decimals, two reads thousands, and that is flagged ambiguous for ``.``
    (``$1.250`` may be a slip for 1.25) or ``,`` with three-decimal currencies.
    A ``k`` multiplier (``1.500k``) always reads decimals.
    """
    if "'" in num:  # Swiss grouping, 1'234.50
        parts = num.split("'")
        last = parts[-1]
        for mark in ".,":
            if mark in last:
                last = last.split(mark, 1)[0]
        if not _grouped(parts[0], [*parts[1:-1], last]) or any(m in p for p in parts[:-1] for m in ".,"):
            return None, False
        num = "".join(parts)
    dot, comma = num.count("."), num.count(",")
    if not dot and not comma:
        return Decimal(num), False
    if dot and comma:
        decimal_mark = "." if num.rfind(".") > num.rfind(",") else ","
        thousands = "," if decimal_mark == "." else "."
        head, _, frac = num.rpartition(decimal_mark)
        groups = head.split(thousands)
        if decimal_mark in head or not _grouped(groups[0], groups[1:]):
            return None, False
        return Decimal("".join(groups) + "." + frac), False
    mark = "." if dot else ","
    parts = num.split(mark)
    if len(parts) > 2:
        if not _grouped(parts[0], parts[1:]) or has_mult:
            return None, False
        return Decimal("".join(parts)), False
    head, tail = parts
    if len(tail) == 3 and not has_mult and _grouped(head, [tail]) and head != "0":
        if minor == 0:
            return Decimal(head + tail), False
        if minor >= 3:
            return Decimal(head + "." + tail), mark == ","
        return Decimal(head + tail), mark == "."
    return Decimal(head + "." + tail), False


def _description(work: str) -> str:
    """What is left of the message, with mention connectors and filler trimmed."""
    words = work.split()
    if _MARK in work:
        kept: list[str] = []
        for word in words:
            if _MARK in word:
                # "dinner with @a and @b" → "dinner": drop what tied the mentions in.
                while kept and kept[-1].lower() in _MENTION_CONNECTORS:
                    kept.pop()
                word = word.replace(_MARK, "")
                if not word:
                    continue
            kept.append(word)
        words = kept
    first, last = 0, len(words)
    while first < last and (
        words[first].lower() in _LEADING_FILLER or not words[first].strip(_LEADING_PUNCT + _TRAILING_PUNCT)
    ):
        first += 1
    while last > first and (
        words[last - 1].lower().rstrip(_TRAILING_PUNCT) in _TRAILING_FILLER
        or not words[last - 1].strip(_LEADING_PUNCT + _TRAILING_PUNCT)
    ):
        last -= 1
    if first == last:
        return ""
    words = words[first:last]
    words[0] = words[0].lstrip(_LEADING_PUNCT)
    words[-1] = words[-1].rstrip(_TRAILING_PUNCT)
    return " ".join(words)


# -- shortcut ----------------------------------------------------------------

_SHORTCUT_RE = re.compile(r"@([^\W\d_]\w*(?:[.\-]\w+)*) ")


def _parse_shortcut(
    text: Any,
    today: dt.date,
    options: _Options,
    people: Mapping[str, object] | None,
    groups: Mapping[str, object] | None,
    max_length: int,
) -> ChatParse:
    cleaned = _precheck(text, today, options, max_length)
    if isinstance(cleaned, ChatParse):
        return cleaned
    head = _SHORTCUT_RE.match(cleaned)
    amount_match = None
    if head:
        folded = cleaned.lower()
        if len(folded) == len(cleaned):
            amount_match = _AMOUNT_RE.folded.match(folded, head.end())
        else:
            amount_match = _AMOUNT_RE.any_case.match(cleaned, head.end())
    # The amount must end at a word boundary: "@bob $5abc" is not the form.
    if head is None or amount_match is None:
        return _failed("not_shortcut", options.default_currency, today, missing=("amount",))
    candidate = _candidate(amount_match, options, cleaned)
    if candidate is None or candidate.start != head.end():
        return _failed("not_shortcut", options.default_currency, today, missing=("amount",))
    rest = cleaned[candidate.end :]
    if rest and not rest.startswith(" "):
        return _failed("not_shortcut", options.default_currency, today, missing=("amount",))
    mention = _resolve("@", head.group(1), people, groups, None)
    reasons = list(candidate.reasons)
    if mention.kind == "person":
        reasons.append(f"unresolved_mention:{mention.text}")
    is_income = candidate.sign == "+"
    return _finish(
        amount=None if candidate.error else candidate.value,
        error=candidate.error,
        currency=candidate.currency,
        description=rest.strip(),
        date=today,
        reasons=reasons,
        category=None,
        tags=(),
        mentions=(mention,),
        is_income=is_income,
        split_count=None if is_income or mention.kind == "group" else 2,
        split_with=() if is_income else (mention.text,),
    )
