"""Who and what a user may mention: resolution of ``@name``/``#name`` and autocomplete.

Service-layer queries for the chat. The grammar (:mod:`.grammar`) is pure and
takes plain ``{lower-cased name: object}`` mappings; :func:`resolve_mentions`
builds them for one message in at most three queries however many mentions
it has (people by username or contacts' first name, groups, categories), and
:func:`mention_suggestions` answers an autocomplete box.

Whom the author may mention is decided by
:func:`..models.ownership.mentionable_users`: by default their *contacts*,
anyone who shares a :class:`Group` with them (member or creator) or has split
a transaction with them (either direction); a host widens or narrows it with
the ``mentionable_users`` hook. ``@name`` resolves, in this order:

1. a mentionable user whose username is ``name`` (case-insensitive);
2. a mentionable user whose first name is ``name``, when exactly one has it;
3. a group the author belongs to or created whose name, ignoring case,
   spaces, dots, hyphens and underscores, is ``name`` (``@flat-mates`` and
   ``@flatmates`` both name "Flat mates").

The author never resolves as a mention of their own, and a name that fits
two people or two groups equally is left unresolved rather than guessed.
Someone outside the rule is treated exactly like a name nobody has, so a
mention never tells whether an unrelated account exists.
``#name`` is a category (the author's own first, then a system one) whose
key or name matches the same way, otherwise a tag.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.db.models import (
    Count,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, Lower

from ..models import Category, Group, GroupMember, MentionType, TransactionMention, ownership
from ..models.querysets import KeptQuerysets
from ..types import UserLike

__all__ = [
    "MAX_RESOLVED_NAMES",
    "MentionTargets",
    "contact_ids",
    "group_member_ids",
    "mention_key",
    "mention_suggestions",
    "resolve_mentions",
]

#: Distinct ``@``/``#`` names looked up per message; more stay unresolved
#: (keeps a hostile message of 300 mentions from building a 300-term query).
MAX_RESOLVED_NAMES = 25

_SEPARATORS = re.compile(r"[\s._\-]+")


def mention_key(name: str) -> str:
    """The form group and category names are compared in: lower case, no spaces, dots, hyphens or underscores."""
    return _SEPARATORS.sub("", name.casefold())


@dataclass(frozen=True)
class MentionTargets:
    """The objects a message's names resolved to, keyed by the lower-cased name as typed.

    The three mappings are what :func:`~.grammar.parse_text` takes as
    ``people``, ``groups`` and ``categories``; ``ambiguous`` holds names that
    fitted more than one person or group and were left unresolved.
    """

    people: dict[str, Any] = field(default_factory=dict)
    groups: dict[str, Any] = field(default_factory=dict)
    categories: dict[str, Any] = field(default_factory=dict)
    ambiguous: frozenset[str] = frozenset()


def _has_field(model: Any, name: str) -> bool:
    try:
        model._meta.get_field(name)
    except FieldDoesNotExist:
        return False
    return True


def contact_ids(user: UserLike) -> Q:
    """A ``Q`` on the user model matching the people ``user`` may mention (see :mod:`..models.ownership`)."""
    return Q(pk__in=ownership.mentionable_users(user).values("pk"))


def resolve_mentions(
    user: UserLike, *, at_names: Iterable[str] = (), hash_names: Iterable[str] = ()
) -> MentionTargets:
    """Find the people, groups and categories a message's names refer to.

    :param user: the author.
    :param at_names: names typed after ``@`` (any case, sigil optional).
    :param hash_names: names typed after ``#``.
    :returns: a :class:`MentionTargets`; names nobody matched are simply absent.
        At most three queries: people (usernames and contacts' first names
        together; a first name counts only for names no username matched),
        groups (only for names no person matched) and categories (only for
        ``#`` names); names past
        :data:`MAX_RESOLVED_NAMES` are not looked up.
    """
    people_names = _names(at_names)
    category_names = _names(hash_names)
    people: dict[str, Any] = {}
    groups: dict[str, Any] = {}
    categories: dict[str, Any] = {}
    ambiguous: set[str] = set()
    if people_names:
        people, ambiguous_people = _resolve_people(user, people_names)
        ambiguous |= ambiguous_people
        rest = [name for name in people_names if name not in people and name not in ambiguous_people]
        if rest:
            groups, ambiguous_groups = _resolve_groups(user, rest)
            ambiguous |= ambiguous_groups
    if category_names:
        categories = _resolve_categories(user, category_names)
    return MentionTargets(people, groups, categories, frozenset(ambiguous))


def _names(names: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for name in names:
        key = str(name).strip().lstrip("@#").lower()
        if key:
            seen.setdefault(key, None)
        if len(seen) >= MAX_RESOLVED_NAMES:
            break
    return list(seen)


def _resolve_people(user: UserLike, names: list[str]) -> tuple[dict[str, Any], set[str]]:
    """Usernames first, then first names, both among the people ``user`` may mention; one query."""
    if not ownership.is_signed_in(user):
        return {}, set()
    model = get_user_model()
    username_field = model.USERNAME_FIELD
    people = ownership.mentionable_users(user).annotate(_username=Lower(username_field))
    wanted = Q(_username__in=names)
    has_first_name = _has_field(model, "first_name")
    if has_first_name:
        people = people.annotate(_first=Lower("first_name"))
        wanted |= Q(_first__in=names)
    by_username: dict[str, list[Any]] = defaultdict(list)
    by_first_name: dict[str, list[Any]] = defaultdict(list)
    for person in people.filter(wanted).order_by("pk"):
        # Lower-case again in Python: SQLite's lower() only folds ASCII.
        username = str(getattr(person, username_field)).lower()
        if username in names:
            by_username[username].append(person)
        if has_first_name and (person.first_name or "").lower() in names:
            by_first_name[person.first_name.lower()].append(person)
    return _decide(names, by_username, by_first_name)


def _decide(
    names: list[str], by_username: dict[str, list[Any]], by_first_name: dict[str, list[Any]]
) -> tuple[dict[str, Any], set[str]]:
    """Apply the rules to the candidates: a username first, a single person only."""
    found: dict[str, Any] = {}
    ambiguous: set[str] = set()
    for name in names:
        candidates = by_username.get(name) or by_first_name.get(name) or []
        if len(candidates) == 1:
            found[name] = candidates[0]
        elif candidates:
            ambiguous.add(name)
    return found, ambiguous


def _resolve_groups(user: UserLike, names: list[str]) -> tuple[dict[str, Any], set[str]]:
    # A person belongs to few groups: compare in Python, where "Flat mates"
    # and "flat-mates" fold alike on every database.
    if not ownership.is_signed_in(user):
        return {}, set()
    wanted = _by_key(names)
    matches: dict[str, list[Any]] = defaultdict(list)
    groups = _usable_rows.get(
        (Group, user.pk), lambda: ownership.usable(user, Group).only("pk", "name", "created_by_id").order_by("pk")
    )
    for group in groups:
        for name in wanted.get(mention_key(group.name), ()):
            matches[name].append(group)
    found = {name: hits[0] for name, hits in matches.items() if len(hits) == 1}
    return found, {name for name, hits in matches.items() if len(hits) > 1}


def _resolve_categories(user: UserLike, names: list[str]) -> dict[str, Any]:
    if not ownership.is_signed_in(user):
        return {}
    wanted = _by_key(names)
    best: dict[str, Any] = {}
    rank: dict[str, int] = {}
    categories = _usable_rows.get(
        (Category, user.pk), lambda: ownership.usable(user, Category).only("pk", "user_id", "key", "name").order_by("pk")
    )
    # In pk order, so that ties go to the lowest pk.
    for category in categories:
        # The author's own category beats a system one; a key match beats a name match.
        for folded, by_key in ((mention_key(category.key), True), (mention_key(category.name), False)):
            for name in wanted.get(folded, ()):
                score = (2 if category.user_id is not None else 0) + (1 if by_key else 0)
                if score > rank.get(name, -1):
                    best[name] = category
                    rank[name] = score
    return best


# The groups and categories a user may name: asked for most messages, and the
# same query for a user each time, so each process keeps it (never its rows).
_usable_rows = KeptQuerysets(256)


def _by_key(names: list[str]) -> dict[str, list[str]]:
    wanted: dict[str, list[str]] = defaultdict(list)
    for name in names:
        wanted[mention_key(name)].append(name)
    return wanted


def group_member_ids(groups: Iterable[Any]) -> dict[Any, list[Any]]:
    """Member user ids of each group, in joining order; one query.

    :returns: ``{group_pk: [user_pk, ...]}`` (a group without members maps to ``[]``).
    """
    pks = [getattr(group, "pk", group) for group in groups]
    members: dict[Any, list[Any]] = {pk: [] for pk in pks}
    if pks:
        rows = GroupMember.objects.filter(group_id__in=pks).order_by("joined_at", "pk")
        for group_id, user_id in rows.values_list("group_id", "user_id"):
            members[group_id].append(user_id)
    return members


# -- autocomplete --------------------------------------------------------------

_TYPE_ORDER = {"user": 0, "group": 1, "category": 2, "tag": 3}


def mention_suggestions(user: UserLike, prefix: str, *, limit: int = 10) -> list[dict[str, Any]]:
    """What the user may mention next, most used first, for an autocomplete box.

    :param user: the author.
    :param prefix: what they typed so far; a leading ``@`` limits the answer
        to people and groups, a leading ``#`` to categories and tags.
    :param limit: the most suggestions returned.
    :returns: plain dicts ``{"type", "text", "id", "label", "uses"}``: ``type``
        is ``user``, ``group``, ``category`` or ``tag``; ``text`` is what to
        insert (it resolves back to the same object); ``id`` the object's pk
        (``None`` for tags); ``uses`` how many of the user's transaction
        mentions named it. Sorted by ``uses``, then type and label. Four
        queries at most: people (contacts and anyone the user mentioned
        before), groups, categories, and the counts of ``#`` mentions.
    """
    if user is None or not getattr(user, "is_authenticated", False) or limit <= 0:
        return []
    prefix = (prefix or "").strip()
    sigil = prefix[:1] if prefix[:1] in "@#" else ""
    term = prefix[1:] if sigil else prefix
    results: list[dict[str, Any]] = []
    if sigil != "#":
        results += _suggest_people(user, term, limit)
        results += _suggest_groups(user, term, limit)
    if sigil != "@":
        results += _suggest_hashes(user, term, limit)
    results.sort(key=lambda row: (-row["uses"], _TYPE_ORDER[row["type"]], row["label"].lower()))
    return results[:limit]


def _uses_of(field_name: str, user: UserLike) -> Coalesce:
    counts = (
        TransactionMention.objects.filter(created_by=user, **{field_name: OuterRef("pk")})
        .order_by()
        .values(field_name)
        .annotate(uses=Count("pk"))
        .values("uses")
    )
    return Coalesce(Subquery(counts, output_field=IntegerField()), Value(0))


def _suggest_people(user: UserLike, term: str, limit: int) -> list[dict[str, Any]]:
    model = get_user_model()
    username_field = model.USERNAME_FIELD
    has_first_name = _has_field(model, "first_name")
    # Only people the author may mention: a suggestion must resolve when sent.
    rows = ownership.mentionable_users(user)
    if term:
        match = Q(**{f"{username_field}__istartswith": term})
        if has_first_name:
            match |= Q(first_name__istartswith=term)
        rows = rows.filter(match)
    rows = rows.annotate(uses=_uses_of("mentioned_user", user)).order_by("-uses", username_field)[:limit]
    suggestions = []
    for person in rows:
        username = str(getattr(person, username_field))
        full_name = person.get_full_name().strip() if hasattr(person, "get_full_name") else ""
        suggestions.append(
            {
                "type": MentionType.USER.value,
                "text": "@" + username,
                "id": person.pk,
                "label": f"{full_name} (@{username})" if full_name else "@" + username,
                "uses": person.uses,
            }
        )
    return suggestions


def _suggest_groups(user: UserLike, term: str, limit: int) -> list[dict[str, Any]]:
    rows = Group.objects.for_user(user)
    if term:
        rows = rows.filter(name__istartswith=term)
    rows = rows.annotate(uses=_uses_of("mentioned_group", user)).order_by("-uses", "name")[:limit]
    return [
        {
            "type": MentionType.GROUP.value,
            # Spaces end a mention; hyphens are read as part of it and fold away.
            "text": "@" + "-".join(group.name.split()),
            "id": group.pk,
            "label": group.name,
            "uses": group.uses,
        }
        for group in rows
    ]


def _suggest_hashes(user: UserLike, term: str, limit: int) -> list[dict[str, Any]]:
    """Categories and tags: both counted from the user's ``#`` mention rows (one grouped query)."""
    counts = (
        TransactionMention.objects.filter(
            created_by=user,
            mention_type__in=[MentionType.CATEGORY, MentionType.TAG],
            mentioned_text__istartswith="#" + term,
        )
        .values("mention_type", "mentioned_text")
        .annotate(uses=Count("pk"))
        .order_by()
    )
    category_uses: dict[str, int] = defaultdict(int)
    tag_uses: dict[str, int] = defaultdict(int)
    tag_text: dict[str, str] = {}
    for row in counts:
        name = row["mentioned_text"][1:]
        if row["mention_type"] == MentionType.CATEGORY:
            category_uses[mention_key(name)] += row["uses"]
        else:
            key = name.casefold()
            tag_uses[key] += row["uses"]
            tag_text.setdefault(key, name)

    categories = Category.objects.for_user(user)
    if term:
        categories = categories.filter(Q(name__istartswith=term) | Q(key__istartswith=term))
    chosen: dict[str, Any] = {}
    for category in categories.only("pk", "key", "name", "user_id").order_by("pk"):
        # The author's own category hides a system one with the same key.
        if category.key not in chosen or category.user_id is not None:
            chosen[category.key] = category
    suggestions = []
    category_keys = set()
    for category in chosen.values():
        uses = category_uses.get(mention_key(category.key), 0)
        if mention_key(category.name) != mention_key(category.key):
            uses += category_uses.get(mention_key(category.name), 0)
        category_keys.add(mention_key(category.key))
        category_keys.add(mention_key(category.name))
        suggestions.append(
            {
                "type": MentionType.CATEGORY.value,
                "text": "#" + category.key,
                "id": category.pk,
                "label": category.name,
                "uses": uses,
            }
        )
    for key, uses in tag_uses.items():
        if mention_key(key) in category_keys:
            continue  # now a category: suggest it as one
        suggestions.append(
            {
                "type": MentionType.TAG.value,
                "text": "#" + tag_text[key],
                "id": None,
                "label": "#" + tag_text[key],
                "uses": uses,
            }
        )
    suggestions.sort(key=lambda row: (-row["uses"], row["label"].lower()))
    return suggestions[: limit * 2]
