"""A cursor-paginated feed over several querysets, as if they were one.

``Transaction.objects.for_user(user)`` is an ``OR`` of the user's own rows and
the rows shared with them; no database can walk an index in date order for an
``OR``, so a page of the newest 50 would sort every visible row. The feed
keeps the parts apart (:meth:`TransactionQuerySet.for_user_parts`): DRF's
cursor pagination orders, filters and slices it as it does a queryset; the
feed applies each step to every part, reads ``stop`` rows of each (an indexed,
limited query), merges them in Python, drops duplicates and slices.

Later parts are read only up to the last row the earlier ones put on the
page, so rows that cannot reach it are not loaded.

The parts named in ``streamed`` are read with ``iterator()``: on PostgreSQL a
server-side cursor, for which the planner never starts parallel workers. The
part that finds the rows shared with the user through their splits would
otherwise get a parallel plan whose worker start-up costs more than the whole
serial read (on a 340,000-row ledger, 8 ms serial against 14-20 ms in
parallel). A cursor costs two more round trips (the last fetch, the close),
so the parts that walk an index of their own are read as usual.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from django.db.models import Q

from ..exceptions import WrongArgumentType


class Feed:
    """Enough of the ``QuerySet`` interface for :class:`rest_framework.pagination.CursorPagination`."""

    def __init__(self, parts: list[Any], ordering: tuple[str, ...] = (), *, streamed: Collection[int] = ()):
        self.parts = parts
        self.ordering = ordering
        self.streamed = streamed  # positions of the parts read with iterator()

    def order_by(self, *fields: str) -> Feed:
        return Feed([part.order_by(*fields) for part in self.parts], tuple(fields), streamed=self.streamed)

    def filter(self, *args: Any, **kwargs: Any) -> Feed:
        return Feed([part.filter(*args, **kwargs) for part in self.parts], self.ordering, streamed=self.streamed)

    def _key(self, obj: Any) -> tuple:
        key = []
        for field in self.ordering:
            value = getattr(obj, field.lstrip("-"))
            key.append(_Desc(value) if field.startswith("-") else value)
        return tuple(key)

    def __getitem__(self, item: slice) -> list[Any]:
        if not isinstance(item, slice) or item.step is not None or item.stop is None:
            raise WrongArgumentType(f"A feed is read in [start:stop] slices with a stop, not [{item!r}]; slice it as feed[0:50].")
        start = item.start or 0
        rows: dict[Any, Any] = {}
        for position, part in enumerate(self.parts):
            if len(rows) >= item.stop:
                # Rows sorting after the stop-th one read so far cannot reach this page:
                # later parts read only the rows before it (the database still finds them,
                # but fewer rows are loaded and built).
                part = part.filter(self._up_to(sorted(rows.values(), key=self._key)[item.stop - 1]))
            page = part[: item.stop]
            for obj in page.iterator() if position in self.streamed else page:
                rows.setdefault(obj.pk, obj)
        return sorted(rows.values(), key=self._key)[start : item.stop]

    def _up_to(self, obj: Any) -> Q:
        """Rows that sort before ``obj`` in :attr:`ordering`, or equal to it (a lexicographic bound)."""
        bound = Q()
        if any("__" in field for field in self.ordering):
            return bound  # a related field: not read from the row here
        for position, field in enumerate(self.ordering):
            name = field.lstrip("-")
            ties = {f.lstrip("-"): getattr(obj, f.lstrip("-")) for f in self.ordering[:position]}
            if getattr(obj, name) is None or None in ties.values():
                return Q()  # no bound past a NULL (it sorts differently per database)
            last = position == len(self.ordering) - 1
            lookup = ("gte" if last else "gt") if field.startswith("-") else ("lte" if last else "lt")
            bound |= Q(**ties, **{f"{name}__{lookup}": getattr(obj, name)})
        return bound


class _Desc:
    """Reverses the order of one sort key."""

    __slots__ = ("value",)

    def __init__(self, value: Any):
        self.value = value

    def __lt__(self, other: _Desc) -> bool:
        return other.value < self.value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Desc) and self.value == other.value
