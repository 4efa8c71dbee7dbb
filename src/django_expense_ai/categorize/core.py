"""The two layers together: payee memory first, then the text classifier (pure).

Takes plain rows (description, merchant, ``Decimal`` amount, category id),
oldest first, and answers with category ids; the service layer
(:mod:`.services`) reads the rows from the database and turns ids back into
categories.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from . import classifier as text_classifier
from .memory import PayeeMemory
from .normalize import amount_band, key_of, normalize_description, payee_key

__all__ = ["Categorizer", "Guess", "HistoryRow"]

#: A classifier's probability for a payee the user never categorised is
#: multiplied by this: a new payee is a guess, shown as a suggestion at the
#: default ``AUTO_CATEGORY_CONFIDENCE`` (0.8) and never applied on its own.
NEW_PAYEE_TRUST = 0.75

#: Below this share the payee memory is split between categories and the classifier may overrule it.
SPLIT_MEMORY = 0.5


@dataclass(frozen=True)
class HistoryRow:
    """One categorised transaction of the user's history."""

    description: str
    amount: Decimal
    category: Any
    merchant: str = ""


@dataclass(frozen=True)
class Guess:
    """A category id for one transaction, and why.

    :param category: the category id.
    :param confidence: 0-1.
    :param source: ``"payee"`` (the payee memory) or ``"classifier"``.
    :param payee: the payee key the row was read as.
    :param count: with ``source == "payee"``, how many of the payee's
        transactions have the category; otherwise 0.
    :param total: how many categorised transactions the payee has (0 when unknown).
    """

    category: Any
    confidence: float
    source: str
    payee: str
    count: int = 0
    total: int = 0


def _payee(normalized: str, merchant: str | None) -> str:
    """The payee key: from the merchant when there is one, else from the normalised description."""
    return payee_key(merchant) if merchant and merchant.strip() else key_of(normalized)


class Categorizer:
    """A user's payee memory and (when scikit-learn is installed and asked for) classifier."""

    def __init__(self, memory: PayeeMemory, classifier: text_classifier.TextClassifier | None, size: int) -> None:
        self.memory = memory
        self.classifier = classifier
        #: How many transactions it learned from.
        self.size = size

    @classmethod
    def train(cls, rows: Iterable[HistoryRow], *, use_classifier: bool = True) -> Categorizer:
        """Learn from categorised rows given oldest first.

        :param use_classifier: train the text classifier too (needs
            scikit-learn; ignored when it is not installed).
        :returns: the categorizer (it answers nothing when ``rows`` is empty).
        """
        rows = list(rows)
        normalized = [normalize_description(r.description) for r in rows]
        memory = PayeeMemory.learn((_payee(n, r.merchant), r.category) for n, r in zip(normalized, rows, strict=True))
        model = None
        if use_classifier and rows and text_classifier.available():
            model = text_classifier.TextClassifier.fit(
                normalized,
                [amount_band(r.amount) for r in rows],
                [r.category for r in rows],
            )
        return cls(memory, model, len(rows))

    def categories(self) -> set[Any]:
        """Every category id it may answer with."""
        known = self.memory.categories()
        if self.classifier is not None:
            known |= set(self.classifier.labels)
        return known

    def suggest(self, description: str, amount: Decimal | None, merchant: str | None = None) -> Guess | None:
        """The best guess for one transaction, or ``None`` (see :meth:`suggest_many`)."""
        return self.suggest_many([(description, amount, merchant)])[0]

    def suggest_many(self, items: Sequence[tuple[str, Decimal | None, str | None]]) -> list[Guess | None]:
        """Guesses for ``(description, amount, merchant)`` items, in order.

        The payee memory answers for a payee the user categorised before
        (confidence from its counts); the classifier answers for the others,
        and overrules the memory only where that is split between categories
        and the classifier is surer. ``None`` where neither knows anything.
        """
        normalized = [normalize_description(d or "") for d, _a, _m in items]
        keys = [_payee(n, m) for n, (_d, _a, m) in zip(normalized, items, strict=True)]
        recalled = [self.memory.recall(k) or self.memory.recall_cut(k) for k in keys]
        predictions: list[text_classifier.Prediction | None] = [None] * len(items)
        if self.classifier is not None:
            ask = [i for i, e in enumerate(recalled) if e is None or e.confidence < SPLIT_MEMORY]
            if ask:
                answers = self.classifier.predict(
                    [normalized[i] for i in ask],
                    [amount_band(items[i][1]) for i in ask],
                )
                for i, answer in zip(ask, answers, strict=True):
                    predictions[i] = answer
        guesses: list[Guess | None] = []
        for key, evidence, prediction in zip(keys, recalled, predictions, strict=True):
            if evidence is not None and (prediction is None or evidence.confidence >= prediction.probability):
                guesses.append(
                    Guess(evidence.category, evidence.confidence, "payee", key, evidence.count, evidence.total)
                )
            elif prediction is not None and key:
                total = evidence.total if evidence is not None else 0
                trust = 1.0 if evidence is not None else NEW_PAYEE_TRUST
                guesses.append(Guess(prediction.label, prediction.probability * trust, "classifier", key, 0, total))
            else:
                guesses.append(None)
        return guesses
