"""Row-level access: ``for_user(user)`` on every user-owned model; querysets kept per user."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING

from django.apps import apps
from django.db import models

if TYPE_CHECKING:
    from typing_extensions import Self  # typing.Self from Python 3.11

    from ..types import RequestUser


class OwnedQuerySet(models.QuerySet):
    """Rows whose ``owner_field`` is the user."""

    owner_field = "user"

    def for_user(self, user: RequestUser | None) -> Self:
        """Rows ``user`` owns; none for an anonymous user."""
        if user is None or not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(**{self.owner_field: user})


class CategoryQuerySet(OwnedQuerySet):
    def for_user(self, user: RequestUser | None) -> Self:
        """The user's own categories plus the system defaults (``user`` is null)."""
        if user is None or not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(models.Q(user=user) | models.Q(user__isnull=True))


class GroupQuerySet(models.QuerySet):
    def for_user(self, user: RequestUser | None) -> Self:
        """Groups the user created or belongs to."""
        if user is None or not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(models.Q(created_by=user) | models.Q(memberships__user=user)).distinct()


class TransactionQuerySet(OwnedQuerySet):
    def for_user(self, user: RequestUser | None) -> Self:
        """The user's transactions plus those they share: a split of theirs, or one of their groups."""
        if user is None or not getattr(user, "is_authenticated", False):
            return self.none()
        shared = models.Q(splits__participant=user) | models.Q(group__memberships__user=user)
        own = self.filter(user=user)
        others = self.filter(shared).exclude(user=user).values("pk")
        return self.filter(models.Q(pk__in=own.values("pk")) | models.Q(pk__in=others))

    def regular(self) -> Self:
        """Transactions that count in regular totals."""
        return self.filter(exclude_from_totals=False)

    def for_user_parts(self, user: RequestUser | None) -> list[Self]:
        """:meth:`for_user` as three disjoint-by-owner querysets whose union is the same rows:
        the user's own, others' split with the user, others' in the user's groups (these two may overlap).

        Each has one indexed condition, so a list ordered by date with a limit reads a page
        from each instead of scanning the table for the ``OR`` of :meth:`for_user` (the REST
        API's transaction feed merges the three pages).
        """
        if user is None or not user.is_authenticated:
            return [self.none()]
        # By app registry, not import: models.ledger imports this module.
        TransactionSplit = apps.get_model("expense_ai", "TransactionSplit")  # noqa: N806
        GroupMember = apps.get_model("expense_ai", "GroupMember")  # noqa: N806

        split_with_me = TransactionSplit.objects.filter(participant=user).values("transaction_id")
        my_groups = GroupMember.objects.filter(user=user).values("group_id")
        return [
            self.filter(user=user),
            self.filter(pk__in=split_with_me).exclude(user=user),
            self.filter(group__in=my_groups).exclude(user=user),
        ]


class SplitQuerySet(models.QuerySet):
    def for_user(self, user: RequestUser | None) -> Self:
        """Splits of the user's transactions and splits where they take part."""
        if user is None or not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(models.Q(transaction__user=user) | models.Q(participant=user))


class TemplateQuerySet(models.QuerySet):
    def for_user(self, user: RequestUser | None) -> Self:
        """The system templates plus the user's own."""
        if user is None or not getattr(user, "is_authenticated", False):
            return self.filter(is_system=True)
        return self.filter(models.Q(is_system=True) | models.Q(created_by=user))

    def active(self) -> Self:
        return self.filter(is_active=True)


class MentionQuerySet(models.QuerySet):
    def for_user(self, user: RequestUser | None) -> Self:
        """Mentions the user made or in which they are mentioned."""
        if user is None or not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(models.Q(created_by=user) | models.Q(mentioned_user=user))


class LogQuerySet(models.QuerySet):
    def for_user(self, user: RequestUser | None) -> Self:
        """Processing logs of the user's files."""
        if user is None or not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(uploaded_file__user=user)


class MergeQuerySet(OwnedQuerySet):
    owner_field = "merged_by"


class KeptQuerysets:
    """Unevaluated querysets built once per key (a user's pk, say) and copied for each use.

    For a query asked on every request whose conditions (subqueries,
    aggregates) cost more CPU to build than the query costs to run. Only the
    queryset is kept, never rows: :meth:`get` returns ``.all()`` of it, a copy
    that reads the database afresh, and the kept one is never evaluated. Each
    process keeps at most ``size`` keys, dropping the least recently used.
    Build them on a manager that does not change between requests.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._lock = threading.Lock()
        self._kept: OrderedDict[Hashable, models.QuerySet] = OrderedDict()

    def get(self, key: Hashable, build: Callable[[], models.QuerySet]) -> models.QuerySet:
        """A copy of the queryset kept for ``key``, built with ``build()`` the first time."""
        with self._lock:
            kept = self._kept.get(key)
            if kept is not None:
                self._kept.move_to_end(key)
        if kept is None:
            kept = build()
            with self._lock:
                self._kept[key] = kept
                while len(self._kept) > self.size:
                    self._kept.popitem(last=False)
        return kept.all()

    def clear(self) -> None:
        """Forget every kept queryset."""
        with self._lock:
            self._kept.clear()
