"""The payee memory: which category the user chose for each payee, and how often (pure).

Built from ``(payee key, category id)`` pairs of the user's own categorised
transactions, oldest first; what it holds is plain data (``to_data`` /
``from_data`` give JSON-safe dicts of counts), never code.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["PRIOR", "Evidence", "PayeeMemory"]

#: Shortest key a cut-off description is matched by (shorter prefixes name too many payees).
MIN_PREFIX = 6

#: Pseudo-count added to the total before the share is taken: one transaction
#: is a hint (0.57), three in a row are a habit (0.8), twelve are sure (0.94).
PRIOR = 0.75


@dataclass(frozen=True)
class Evidence:
    """What the memory knows about one payee.

    :param key: the payee key (see :func:`~.normalize.payee_key`).
    :param category: the category id chosen most often (ties: the latest).
    :param count: how many of the payee's transactions have that category.
    :param total: how many categorised transactions the payee has.
    """

    key: str
    category: Any
    count: int
    total: int

    @property
    def confidence(self) -> float:
        """``count / (total + PRIOR)``, in [0, 1): more agreeing evidence, more confidence."""
        return self.count / (self.total + PRIOR)


class PayeeMemory:
    """Counts of categories per payee key."""

    def __init__(self, counts: Mapping[str, Mapping[Any, int]], latest: Mapping[str, Any]) -> None:
        self._counts = {key: dict(by_category) for key, by_category in counts.items()}
        self._latest = dict(latest)
        self._sorted = sorted(self._counts)

    @classmethod
    def learn(cls, pairs: Iterable[tuple[str, Any]]) -> PayeeMemory:
        """Count ``(payee key, category id)`` pairs given oldest first; empty keys are ignored.

        :returns: the memory.
        """
        counts: dict[str, dict[Any, int]] = {}
        latest: dict[str, Any] = {}
        for key, category in pairs:
            if not key or category is None:
                continue
            by_category = counts.setdefault(key, {})
            by_category[category] = by_category.get(category, 0) + 1
            latest[key] = category
        return cls(counts, latest)

    def __len__(self) -> int:
        return len(self._counts)

    def recall(self, key: str) -> Evidence | None:
        """The evidence for ``key``, or ``None`` when the user never categorised that payee."""
        by_category = self._counts.get(key)
        if not by_category:
            return None
        latest = self._latest.get(key)
        category = max(by_category, key=lambda c: (by_category[c], c == latest))
        return Evidence(key, category, by_category[category], sum(by_category.values()))

    def recall_cut(self, key: str) -> Evidence | None:
        """Evidence for a payee whose description a bank's column width cut off.

        Adds up the payees whose key starts with ``key`` ("NORDSTR" -> "NORDSTROM
        RACK"), for keys of at least :data:`MIN_PREFIX` characters; when they
        disagree the evidence is split, and its confidence shows it. The other
        way round (a known key that is a prefix of ``key``) is not matched:
        "COASTAL" then would answer for every "COASTAL ..." payee.

        :returns: the evidence (its ``key`` is ``key``), or ``None``.
        """
        if len(key) < MIN_PREFIX:
            return None
        matched: set[str] = set()
        start = bisect.bisect_left(self._sorted, key)
        for other in self._sorted[start:]:
            if not other.startswith(key):
                break
            matched.add(other)
        if not matched:
            return None
        by_category: dict[Any, int] = {}
        for other in matched:
            for category, count in self._counts[other].items():
                by_category[category] = by_category.get(category, 0) + count
        category = max(by_category, key=lambda c: (by_category[c], repr(c)))
        return Evidence(key, category, by_category[category], sum(by_category.values()))

    def categories(self) -> set[Any]:
        """Every category id the memory can answer with."""
        return {c for by_category in self._counts.values() for c in by_category}

    def to_data(self) -> dict[str, Any]:
        """Plain, JSON-safe data (category ids as given) that :meth:`from_data` reads back."""
        return {
            "counts": [[key, [[c, n] for c, n in by_category.items()]] for key, by_category in self._counts.items()],
            "latest": [[key, c] for key, c in self._latest.items()],
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> PayeeMemory:
        """The memory :meth:`to_data` described."""
        counts = {key: {c: int(n) for c, n in pairs} for key, pairs in data.get("counts", [])}
        latest = {key: c for key, c in data.get("latest", [])}
        return cls(counts, latest)
