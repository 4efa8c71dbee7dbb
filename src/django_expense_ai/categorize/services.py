"""Category suggestions from the user's own history: the service layer.

Reads the user's categorised transactions, trains the pure core
(:class:`~.core.Categorizer`: payee memory, then the scikit-learn classifier
when installed) and turns its category ids back into the user's categories.

Freshness without pickles: the trained categorizer of a user is kept in this
process's memory only (a small LRU, ``EXPENSE_AI["CATEGORIZE_MODELS_KEPT"]``
users), next to a fingerprint of the history it learned from (count, highest
id, latest ``updated_at`` and the sum of the category ids of the user's
categorised transactions). Every suggestion reads the fingerprint again (one
aggregate query); when the user added, deleted or re-categorised a transaction
since (through a page, the API, the admin, chat or an import; a deleted
category sets its transactions' category to null, which changes the count),
the categorizer is rebuilt from the database. Nothing is written to the
database or the cache, so nothing has to be loaded back.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Max, Q, Sum

from .. import plugins
from ..conf import settings
from ..exceptions import ConfigurationError, FloatMoney, InvalidArgument
from ..models import Category, Transaction
from ..models.querysets import KeptQuerysets
from ..types import UserOrId
from . import classifier as text_classifier
from .core import Categorizer, Guess, HistoryRow

__all__ = [
    "CategorySuggestion",
    "Decision",
    "accuracy_report",
    "categorize_new_transactions",
    "forget",
    "prepare",
    "suggest_categories",
    "suggest_category",
    "train",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CategorySuggestion:
    """A category for one transaction, how sure, and why.

    :param category: the :class:`Category` (the user's own or a system one).
    :param confidence: 0-1; at or above ``EXPENSE_AI["AUTO_CATEGORY_CONFIDENCE"]``
        imports and chat apply it, below they keep it as a suggestion.
    :param reason: in words, e.g. "12 of your 12 transactions at BLUE BOTTLE are Coffee".
    :param source: ``"payee"`` (the payee memory), ``"classifier"`` (the text
        classifier) or the name a plugin gives.
    :param payee: the payee the description was read as.
    """

    category: Any
    confidence: float
    reason: str
    source: str
    payee: str = ""

    def to_data(self) -> dict[str, Any]:
        """JSON-safe description (ids and text only) for metadata and logs."""
        return {
            "category_id": self.category.pk,
            "category_key": self.category.key,
            "category": self.category.name,
            "confidence": round(float(self.confidence), 4),
            "reason": self.reason,
            "source": self.source,
            "payee": self.payee,
        }


@dataclass(frozen=True)
class Decision:
    """What :func:`categorize_new_transactions` did with one transaction's suggestion."""

    suggestion: CategorySuggestion | None
    applied: bool


# -- the user's categorizer, kept per process -----------------------------------------

_lock = threading.Lock()
_models: OrderedDict[tuple[Any, ...], tuple[tuple[Any, ...], Categorizer]] = OrderedDict()


def _user_id(user: UserOrId) -> Any:
    return getattr(user, "pk", user)


def _usable_categories(user_id: Any, ids: Iterable[Any]) -> Any:
    """The user's own and the system categories among ``ids`` that still exist."""
    return Category.objects.filter(Q(user_id=user_id) | Q(user__isnull=True), pk__in=set(ids))


def _use_classifier(use_classifier: bool | None) -> bool:
    wanted = settings.CATEGORIZE_CLASSIFIER if use_classifier is None else use_classifier
    return bool(wanted) and text_classifier.available()


def _history(user_id: Any) -> Any:
    return Transaction.objects.filter(user_id=user_id, category__isnull=False)


# Every suggestion reads the fingerprint; its four aggregates cost more CPU to
# build than the query takes to run, so each process keeps the query per user.
_fingerprints = KeptQuerysets(256)


def _fingerprint_query(user_id: Any) -> Any:
    # Grouped by the one user: one row, or none without history.
    return (
        _history(user_id)
        .order_by()
        .values("user_id")
        .annotate(n=Count("pk"), top=Max("pk"), at=Max("updated_at"), ids=Sum("category_id"))
        .values_list("n", "top", "at", "ids")
    )


def _fingerprint(user_id: Any) -> tuple[Any, ...]:
    for row in _fingerprints.get(user_id, lambda: _fingerprint_query(user_id)):
        return tuple(row)
    return (0, None, None, None)


def _history_rows(user_id: Any, *, exclude: Iterable[Any] = ()) -> list[HistoryRow]:
    """The user's categorised transactions, oldest first (at most CATEGORIZE_HISTORY_LIMIT, the latest)."""
    limit = int(settings.CATEGORIZE_HISTORY_LIMIT)
    qs = _history(user_id)
    excluded = list(exclude)
    if excluded:
        qs = qs.exclude(pk__in=excluded)
    values = qs.order_by("-updated_at", "-pk").values_list("description", "merchant", "amount", "category_id")[:limit]
    return [HistoryRow(d or "", a, c, m or "") for d, m, a, c in reversed(list(values))]


def _categorizer(user_id: Any, use_classifier: bool) -> Categorizer | None:
    """The user's trained categorizer, rebuilt when the history changed; ``None`` without history."""
    fingerprint = _fingerprint(user_id)
    if not fingerprint[0]:
        return None
    key = (user_id, use_classifier)
    with _lock:
        kept = _models.get(key)
        if kept is not None and kept[0] == fingerprint:
            _models.move_to_end(key)
            return kept[1]
    categorizer = Categorizer.train(_history_rows(user_id), use_classifier=use_classifier)
    with _lock:
        _models[key] = (fingerprint, categorizer)
        _models.move_to_end(key)
        while len(_models) > max(1, int(settings.CATEGORIZE_MODELS_KEPT)):
            _models.popitem(last=False)
    return categorizer


def forget(user: UserOrId | None = None) -> None:
    """Drop the kept categorizer of ``user`` (of everyone when ``None``); the next use retrains."""
    with _lock:
        if user is None:
            _models.clear()
            return
        for key in [k for k in _models if k[0] == _user_id(user)]:
            del _models[key]


plugins.on_reset(forget)


def prepare(user: UserOrId) -> None:
    """Train the built-in plugin's categorizer for ``user`` now, when it answers at all.

    The statement pipeline calls it before it locks the ledger, so a retrain
    never holds the lock.
    """
    if settings.CATEGORIZE_FROM_HISTORY:
        train(user)


def train(user: UserOrId, *, use_classifier: bool | None = None) -> dict[str, Any]:
    """Build (or confirm fresh) the user's categorizer now, e.g. after an import.

    :param user: a user or a user's pk.
    :param use_classifier: override ``EXPENSE_AI["CATEGORIZE_CLASSIFIER"]``.
    :returns: ``{"transactions": n, "payees": n, "classifier": bool}``.
    """
    categorizer = _categorizer(_user_id(user), _use_classifier(use_classifier))
    if categorizer is None:
        return {"transactions": 0, "payees": 0, "classifier": False}
    return {
        "transactions": categorizer.size,
        "payees": len(categorizer.memory),
        "classifier": categorizer.classifier is not None,
    }


# -- suggestions ----------------------------------------------------------------------


def _reason(guess: Guess, category: Any) -> str:
    payee = guess.payee or "this payee"
    if guess.source == "payee":
        return f"{guess.count} of your {guess.total} transactions at {payee} are {category.name}"
    if guess.total:
        return (
            f"Your transactions at {payee} are split between categories; their descriptions "
            f"and amounts look most like {category.name}"
        )
    return f"You have not categorised {payee} before; its description and amount look like {category.name}"


def _item_fields(item: Any) -> tuple[str, Decimal | None, str | None]:
    if isinstance(item, Mapping):
        return str(item.get("description") or ""), item.get("amount"), item.get("merchant") or None
    if isinstance(item, tuple):
        description, amount, *rest = item
        return str(description or ""), amount, (rest[0] if rest else None) or None
    return str(getattr(item, "description", "") or ""), getattr(item, "amount", None), getattr(item, "merchant", None) or None


def _check_amount(amount: Any) -> Decimal | None:
    if amount is None:
        return None
    if isinstance(amount, float):
        raise FloatMoney(f"The amount {amount!r} is a float; money is never a float: pass a Decimal, an int or a decimal string.")
    return Decimal(amount)


def suggest_categories(user: UserOrId, items: Iterable[Any], *, use_classifier: bool | None = None) -> list[CategorySuggestion | None]:
    """Suggestions for a whole statement from the user's own history.

    :param user: the user (or a user's pk) whose history answers.
    :param items: ``(description, amount[, merchant])`` tuples, mappings with
        those keys, or objects with those attributes (a :class:`Transaction`,
        a :class:`~..statements.types.StatementRow`). Amounts are ``Decimal``
        (negative is money out).
    :param use_classifier: override ``EXPENSE_AI["CATEGORIZE_CLASSIFIER"]``
        (``False`` answers from the payee memory alone, as without scikit-learn).
    :returns: one :class:`CategorySuggestion` or ``None`` per item, in order;
        all ``None`` for a user without categorised transactions. A category
        that no longer exists, or is not the user's, is never suggested.
        Two queries (the history's fingerprint, the categories) plus the
        history itself when it changed since the last call in this process.
    :raises FloatMoney: an amount is a float (a ``TypeError``).
    """
    fields = [_item_fields(item) for item in items]
    for _description, amount, _merchant in fields:
        _check_amount(amount)
    if not fields:
        return []
    user_id = _user_id(user)
    categorizer = _categorizer(user_id, _use_classifier(use_classifier))
    if categorizer is None:
        return [None] * len(fields)
    guesses = categorizer.suggest_many([(d, _check_amount(a), m) for d, a, m in fields])
    wanted = {g.category for g in guesses if g is not None}
    if not wanted:
        return [None] * len(fields)
    categories = _usable_categories(user_id, wanted).in_bulk()
    return [
        None
        if guess is None or guess.category not in categories
        else CategorySuggestion(
            categories[guess.category],
            guess.confidence,
            _reason(guess, categories[guess.category]),
            guess.source,
            guess.payee,
        )
        for guess in guesses
    ]


def suggest_category(
    user: UserOrId,
    description: str,
    amount: Decimal | int | str | None,
    *,
    merchant: str | None = None,
    currency: str | None = None,
) -> CategorySuggestion | None:
    """A category for one transaction from the user's own history, or ``None``.

    First the payee memory (the category the user chose most often for the
    payee the description names once card-network prefixes, store numbers,
    dates and places are removed), then, with scikit-learn installed, the
    text classifier trained on the user's categorised transactions.

    :param user: the user (or a user's pk).
    :param description: the description as a statement or the user wrote it.
    :param amount: a ``Decimal`` (negative is money out), or ``None``.
    :param merchant: the merchant, when known (it names the payee instead of the description).
    :param currency: the amount's ISO code (amounts are compared in their own
        currency's units; the code is not a feature yet).
    :returns: a :class:`CategorySuggestion` or ``None`` (no history, or
        nothing in it resembles the transaction). Never a guess presented as
        sure: a payee the user never categorised stays below the default
        ``AUTO_CATEGORY_CONFIDENCE``.
    :raises FloatMoney: ``amount`` is a float (a ``TypeError``).
    """
    del currency  # accepted for the API's stability; see the docstring
    return suggest_categories(user, [(description, amount, merchant)])[0]


# -- applying them to new transactions ------------------------------------------------


def _threshold() -> float:
    value = settings.AUTO_CATEGORY_CONFIDENCE
    try:
        threshold = float(value)
    except (TypeError, ValueError) as err:
        raise ConfigurationError(
            f'EXPENSE_AI["AUTO_CATEGORY_CONFIDENCE"] must be a number between 0 and 1, not {value!r}.'
        ) from err
    if not 0 <= threshold <= 1:
        raise ConfigurationError(
            f'EXPENSE_AI["AUTO_CATEGORY_CONFIDENCE"] must be between 0 and 1 (got {value!r}); '
            "use 1 to never apply a suggestion on its own."
        )
    return threshold


def _usable_answer(answer: Any, user_id: Any) -> bool:
    """A plugin's answer counts when it is a suggestion of the user's own or a system category."""
    if answer is None:
        return False
    category = getattr(answer, "category", None)
    if not isinstance(answer, CategorySuggestion) or not isinstance(category, Category):
        logger.warning("A categorize_transactions plugin answered %r; expected a CategorySuggestion", type(answer))
        return False
    if category.user_id not in (None, user_id):
        # Another user's category would link two ledgers: refused, whoever suggested it.
        logger.warning("A categorize_transactions plugin suggested category #%s of another user", category.pk)
        return False
    return True


def categorize_new_transactions(user_id: Any, transactions: Sequence[Transaction]) -> list[Decision]:
    """Ask the ``categorize_transactions`` hook about new transactions and apply the sure answers.

    Used by the statement pipeline and the chat service before they save new
    transactions. A transaction that already has a category (the user chose
    it: a chat ``#category``, a category given by the caller) is never
    changed and not asked about. For the others, the first plugin answer
    wins (host plugins first, the built-in history plugin last); an answer at
    or above ``EXPENSE_AI["AUTO_CATEGORY_CONFIDENCE"]`` sets
    ``transaction.category``, one below is returned as a suggestion only.
    A plugin that raises is logged and counts as no answer: categorising
    never stops an import or a chat entry.

    :returns: one :class:`Decision` per transaction, in order.
    :raises ConfigurationError: ``AUTO_CATEGORY_CONFIDENCE`` is not a number in [0, 1].
    """
    threshold = _threshold()
    decisions = [Decision(None, False)] * len(transactions)
    ask = [i for i, tx in enumerate(transactions) if tx.category_id is None]
    if not ask:
        return decisions
    asked = [transactions[i] for i in ask]
    try:
        answers = plugins.hook().categorize_transactions(user_id=user_id, transactions=asked)
    except Exception:  # a broken plugin must not stop an import or a chat entry
        logger.exception("categorize_transactions failed for user %s", user_id)
        return decisions
    for position, index in enumerate(ask):
        suggestion = next(
            (
                answer[position]
                for answer in answers
                if isinstance(answer, Sequence)
                and position < len(answer)
                and _usable_answer(answer[position], user_id)
            ),
            None,
        )
        if suggestion is None:
            continue
        applied = suggestion.confidence >= threshold
        if applied:
            transactions[index].category = suggestion.category
        decisions[index] = Decision(suggestion, applied)
    return decisions


# -- how well it does -----------------------------------------------------------------


def accuracy_report(user: UserOrId, *, last: int = 50, use_classifier: bool | None = None) -> dict[str, Any]:
    """How well history-based suggestions would have done on the user's last ``last`` edits.

    The ``last`` categorised transactions the user touched most recently
    (latest ``updated_at``: created or re-categorised) are held out; a
    categorizer trained on the rest suggests a category for each; the
    report compares with the category the user chose.

    :returns: a dict with ``evaluated``, ``answered`` (a suggestion was
        made), ``correct``, ``accuracy`` (correct / evaluated), ``applied``
        (at or above ``AUTO_CATEGORY_CONFIDENCE``), ``applied_correct``,
        ``threshold``, ``trained_on``, ``classifier`` (bool) and ``misses``
        (up to 20: ``id``, ``description``, ``chosen``, ``suggested``, ``confidence``).
    :raises InvalidArgument: ``last`` is below 1 (a ``ValueError``).
    """
    if last < 1:
        raise InvalidArgument(f"last must be at least 1, not {last}: it is how many recent edits to hold out.")
    user_id = _user_id(user)
    threshold = _threshold()
    held = list(
        _history(user_id)
        .order_by("-updated_at", "-pk")
        .values_list("pk", "description", "merchant", "amount", "category_id", "category__name")[:last]
    )
    rows = _history_rows(user_id, exclude=[row[0] for row in held])
    categorizer = Categorizer.train(rows, use_classifier=_use_classifier(use_classifier))
    guesses = categorizer.suggest_many([(d or "", a, m or None) for _pk, d, m, a, _c, _n in held])
    names = dict(_usable_categories(user_id, {g.category for g in guesses if g}).values_list("pk", "name"))
    known = set(names)
    answered = correct = applied = applied_correct = 0
    misses: list[dict[str, Any]] = []
    for (pk, description, _merchant, _amount, chosen, chosen_name), guess in zip(held, guesses, strict=True):
        if guess is None or guess.category not in known:
            continue
        answered += 1
        hit = guess.category == chosen
        correct += hit
        if guess.confidence >= threshold:
            applied += 1
            applied_correct += hit
        if not hit and len(misses) < 20:
            misses.append(
                {
                    "id": pk,
                    "description": description,
                    "chosen": chosen_name,
                    "suggested": names.get(guess.category, ""),
                    "confidence": round(guess.confidence, 4),
                }
            )
    evaluated = len(held)
    return {
        "evaluated": evaluated,
        "answered": answered,
        "correct": correct,
        "accuracy": round(correct / evaluated, 4) if evaluated else None,
        "applied": applied,
        "applied_correct": applied_correct,
        "threshold": threshold,
        "trained_on": categorizer.size,
        "classifier": categorizer.classifier is not None,
        "misses": misses,
    }
