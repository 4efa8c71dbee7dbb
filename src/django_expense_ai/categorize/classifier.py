"""A text classifier over normalised descriptions, with scikit-learn (pure; optional).

Features: the words and the character 3-4-grams (within words) of the
normalised description, plus one token for the amount band and direction
(see :func:`~.normalize.amount_band`). A linear model (logistic loss, trained
by stochastic gradient descent) gives a probability per category. The
trained model lives in the memory of the process only: it is never pickled,
cached or stored (it is rebuilt from the user's transactions when they change).

scikit-learn comes with the ``[learn]`` extra; :func:`available` tells
whether it is installed.
"""

from __future__ import annotations

import importlib.util
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["Prediction", "TextClassifier", "available"]


def available() -> bool:
    """True when scikit-learn is installed (the ``[learn]`` extra)."""
    return importlib.util.find_spec("sklearn") is not None


@dataclass(frozen=True)
class Prediction:
    """The classifier's best category for one text and its probability (0-1)."""

    label: Any
    probability: float


def _document(text: str, band: str) -> str:
    return f"{text} __{band}" if band else text


def _words_only(document: str) -> str:
    return document.split(" __", 1)[0]


class TextClassifier:
    """A fitted classifier; build one with :meth:`fit`."""

    def __init__(self, vectorizer: Any, model: Any) -> None:
        self._vectorizer = vectorizer
        self._model = model

    @classmethod
    def fit(
        cls, texts: Sequence[str], bands: Sequence[str], labels: Sequence[Any], *, seed: int = 0
    ) -> TextClassifier | None:
        """Train on normalised descriptions, their amount bands and their categories.

        :param texts: normalised descriptions (see :func:`~.normalize.normalize_description`).
        :param bands: one amount band per text (``""`` when unknown).
        :param labels: one category id per text.
        :param seed: the random state (training is deterministic for one seed).
        :returns: the classifier, or ``None`` when there are fewer than two
            categories (nothing to tell apart).
        :raises ImportError: scikit-learn is not installed.
        """
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import SGDClassifier
        from sklearn.pipeline import FeatureUnion

        if len(set(labels)) < 2:
            return None
        # A history repeats itself (the same payee, the same band, the same
        # category): train on each distinct example once, weighted by how often
        # it occurs (1 + log n: a daily coffee must not drown every other payee).
        # 50,000 transactions become a few thousand examples.
        weights: dict[tuple[str, Any], int] = {}
        for text, band, label in zip(texts, bands, labels, strict=True):
            example = (_document(text, band), label)
            weights[example] = weights.get(example, 0) + 1
        vectorizer = FeatureUnion(
            [
                ("words", TfidfVectorizer(token_pattern=r"\S+", lowercase=False, sublinear_tf=True)),
                (
                    "chars",
                    TfidfVectorizer(
                        analyzer="char_wb",
                        ngram_range=(3, 4),
                        lowercase=False,
                        preprocessor=_words_only,
                        sublinear_tf=True,
                        min_df=1,
                    ),
                ),
            ]
        )
        examples = list(weights)
        features = vectorizer.fit_transform([document for document, _label in examples])
        model = SGDClassifier(loss="log_loss", alpha=1e-5, max_iter=20, tol=None, random_state=seed)
        model.fit(features, [label for _document, label in examples], sample_weight=[1 + math.log(weights[e]) for e in examples])
        return cls(vectorizer, model)

    @property
    def labels(self) -> list[Any]:
        """The category ids the classifier can answer with."""
        return list(self._model.classes_)

    def predict(self, texts: Sequence[str], bands: Sequence[str]) -> list[Prediction]:
        """The best category of each text, with its probability.

        :returns: one :class:`Prediction` per text, in order.
        """
        if not texts:
            return []
        features = self._vectorizer.transform([_document(t, b) for t, b in zip(texts, bands, strict=True)])
        probabilities = self._model.predict_proba(features)
        best = probabilities.argmax(axis=1)
        classes = self._model.classes_
        return [
            Prediction(classes[i].item() if hasattr(classes[i], "item") else classes[i], float(row[i]))
            for row, i in zip(probabilities, best, strict=True)
        ]
