"""Who and what a user may mention: resolution of ``@name``/``#name`` and autocomplete.

Service-layer queries for the chat. The grammar (:mod:`.grammar`) is pure and
takes plain ``{lower-cased name: object}`` mappings; :func:`resolve_mentions`
builds them for one message in at most three queries however many mentions
it has (people by username or contacts' first name, groups, categories), and
:func:`mention_suggestions` answers an autocomplete box.

Who is a *contact* of the author: anyone who shares a :class:`Group` with
them (member or creator), and anyone they have split a transaction with
(either direction). ``@name`` resolves, in this order:

1. a user whose username is ``name`` (case-insensitive; usernames are the
   handles people type, so any active user can be mentioned by username);
2. a contact whose first name is ``name``, when exactly one contact has it
   (first names are not unique, so strangers are never matched by them);
3. a group the author belongs to or created whose name, ignoring case,
   spaces, dots, hyphens and underscores, is ``name`` (``@flat-mates`` and
   ``@flatmates`` both name "Flat mates").

The author never resolves as a mention of their own, and a name that fits
two people or two groups equally is left unresolved rather than guessed.
``#name`` is a category (the author's own first, then a system one) whose
key or name matches the same way, otherwise a tag.
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.db import connections, router
from django.db.models import (
    Count,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, Lower

from ..models import Category, Group, GroupMember, MentionType, TransactionMention, TransactionSplit

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


def contact_ids(user: Any) -> Q:
    """A ``Q`` on the user model matching the author's contacts (see the module docstring).

    It is four ``IN (subquery)`` conditions, so it costs no query of its own.
    """
    in_my_groups = GroupMember.objects.filter(Q(group__created_by=user) | Q(group__memberships__user=user))
    creators_of_my_groups = Group.objects.filter(memberships__user=user)
    i_split_with = TransactionSplit.objects.filter(transaction__user=user)
    split_with_me = TransactionSplit.objects.filter(participant=user)
    return (
        Q(pk__in=in_my_groups.values("user_id"))
        | Q(pk__in=creators_of_my_groups.values("created_by_id"))
        | Q(pk__in=i_split_with.values("participant_id"))
        | Q(pk__in=split_with_me.values("transaction__user_id"))
    )


def resolve_mentions(
    user: Any, *, at_names: Iterable[str] = (), hash_names: Iterable[str] = ()
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


def _resolve_people(user: Any, names: list[str]) -> tuple[dict[str, Any], set[str]]:
    """Usernames first; contacts by first name only for the names no username matched.

    One query answers both (see :func:`_people_sql`): each row says which
    branch matched it, and the rules are applied here.
    """
    model = get_user_model()
    if not _plain_table(model):
        return _decide(names, *_people_with_orm(user, model, names))
    alias = router.db_for_read(model)
    sql, params = _people_sql(alias, model, len(names))
    loader = _loader(alias, model, None)
    by_username: dict[str, list[Any]] = defaultdict(list)
    by_first_name: dict[str, list[Any]] = defaultdict(list)
    username_field = model.USERNAME_FIELD
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, params(user.pk, names))
        rows = cursor.fetchall()
    for row, person in zip(rows, loader.build_all(rows), strict=True):
        # Lower-case again in Python: SQLite's lower() only folds ASCII.
        if row[-1] == 0:
            by_username[str(getattr(person, username_field)).lower()].append(person)
        else:
            by_first_name[person.first_name.lower()].append(person)
    return _decide(names, by_username, by_first_name)


@functools.lru_cache(maxsize=16)
def _plain_table(model: Any) -> bool:
    """Whether ``model.objects`` is every row of one table, which the written-out SQL assumes.

    Not so for a multi-table user model (its columns span tables) or a
    default manager that filters (say, hiding deleted users): those keep the ORM.
    """
    query = model.objects.all().query
    return not model._meta.parents and not query.where and not query.annotations and not query.distinct


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


def _people_with_orm(
    user: Any, model: Any, names: list[str]
) -> tuple[dict[str, list[Any]], dict[str, list[Any]]]:
    """The candidates by username and by contacts' first name, through the ORM (two queries)."""
    username_field = model.USERNAME_FIELD
    people = model.objects.exclude(pk=user.pk)
    if _has_field(model, "is_active"):
        people = people.filter(is_active=True)
    by_username: dict[str, list[Any]] = defaultdict(list)
    for person in people.annotate(_username=Lower(username_field)).filter(_username__in=names):
        by_username[str(getattr(person, username_field)).lower()].append(person)
    rest = [name for name in names if name not in by_username]
    by_first_name: dict[str, list[Any]] = defaultdict(list)
    if rest and _has_field(model, "first_name"):
        for person in people.annotate(_first=Lower("first_name")).filter(contact_ids(user), _first__in=rest):
            by_first_name[person.first_name.lower()].append(person)
    return by_username, by_first_name


# Placeholders in the cached parameter lists: the author's pk, and the names
# (one ``IN`` list).
_PK = object()
_NAMES = object()


@functools.lru_cache(maxsize=128)
def _people_sql(alias: str, model: Any, count: int) -> tuple[str, Any]:
    """The SQL matching ``count`` lower-cased names by username and by contacts' first names.

    Written out rather than built by the ORM each call: the two querysets
    this replaces cost ~0.8 ms of CPU to compile for a username, and ~7 ms
    when a name was looked up among the contacts (their four ``IN``
    subqueries); this costs ~0.4 ms with its round trip. One query instead
    of two also saves a round trip. Names come from the models' ``_meta`` (a
    swapped user model works; one without ``is_active`` or ``first_name``
    skips that condition or branch), and the SQL is plain enough for
    PostgreSQL, MariaDB/MySQL and SQLite. Each row is the user's concrete
    columns plus ``0`` (username matched) or ``1`` (a contact's first name).

    :returns: the SQL, and a function of the author's pk and the names giving its parameters.
    """
    quote = connections[alias].ops.quote_name
    meta = model._meta
    columns = ", ".join(f"u.{quote(f.column)}" for f in _loader(alias, model, None).fields)
    pk = f"u.{quote(meta.pk.column)}"
    base = f"FROM {quote(meta.db_table)} u WHERE {pk} <> %s"
    base_params: list[Any] = [_PK]
    if _has_field(model, "is_active"):
        base += f" AND u.{quote(meta.get_field('is_active').column)} = %s"
        base_params.append(True)
    in_list = ", ".join(["%s"] * count)
    username = quote(meta.get_field(model.USERNAME_FIELD).column)
    sql = f"SELECT {columns}, 0 {base} AND LOWER(u.{username}) IN ({in_list})"
    params: list[Any] = [*base_params, _NAMES]
    if _has_field(model, "first_name"):
        first_name = quote(meta.get_field("first_name").column)
        contacts, contact_params = _contacts_sql(alias, pk)
        sql += (
            f" UNION ALL SELECT {columns}, 1 {base} AND LOWER(u.{first_name}) IN ({in_list}) AND ({contacts})"
        )
        params += [*base_params, _NAMES, *contact_params]

    def bind(author_pk: Any, names: list[str]) -> list[Any]:
        values: list[Any] = []
        for value in params:
            if value is _NAMES:
                values += names
            else:
                values.append(author_pk if value is _PK else value)
        return values

    return sql, bind


def _contacts_sql(alias: str, user_pk_column: str) -> tuple[str, list[Any]]:
    """:func:`contact_ids` as SQL on ``user_pk_column``: four ``IN`` subqueries, each taking the author's pk."""
    quote = connections[alias].ops.quote_name
    member, group = GroupMember._meta, Group._meta
    split, tx = TransactionSplit._meta, TransactionSplit._meta.get_field("transaction").related_model._meta

    def col(meta: Any, name: str) -> str:
        return quote(meta.get_field(name).column)

    members, groups = quote(member.db_table), quote(group.db_table)
    splits, txs = quote(split.db_table), quote(tx.db_table)
    split_join = (
        f"FROM {splits} s INNER JOIN {txs} t ON t.{quote(tx.pk.column)} = s.{col(split, 'transaction')}"
    )
    sql = (
        # Members of the groups the author created or belongs to.
        f"{user_pk_column} IN (SELECT m.{col(member, 'user')} FROM {members} m WHERE m.{col(member, 'group')} IN "
        f"(SELECT g.{quote(group.pk.column)} FROM {groups} g WHERE g.{col(group, 'created_by')} = %s) "
        f"OR m.{col(member, 'group')} IN (SELECT m2.{col(member, 'group')} FROM {members} m2 "
        f"WHERE m2.{col(member, 'user')} = %s))"
        # Creators of the groups the author belongs to.
        f" OR {user_pk_column} IN (SELECT g.{col(group, 'created_by')} FROM {groups} g INNER JOIN {members} m "
        f"ON m.{col(member, 'group')} = g.{quote(group.pk.column)} WHERE m.{col(member, 'user')} = %s)"
        # People the author split with, and people who split with the author.
        f" OR {user_pk_column} IN (SELECT s.{col(split, 'participant')} {split_join} "
        f"WHERE t.{col(tx, 'user')} = %s)"
        f" OR {user_pk_column} IN (SELECT t.{col(tx, 'user')} {split_join} "
        f"WHERE s.{col(split, 'participant')} = %s)"
    )
    return sql, [_PK] * 5


def _resolve_groups(user: Any, names: list[str]) -> tuple[dict[str, Any], set[str]]:
    # A person belongs to few groups: compare in Python, where "Flat mates"
    # and "flat-mates" fold alike on every database.
    if not _signed_in(user):
        return {}, set()
    wanted = _by_key(names)
    loader = _loader(router.db_for_read(Group), Group, ("pk", "name", "created_by_id"))
    with connections[loader.alias].cursor() as cursor:
        cursor.execute(_groups_sql(loader.alias), [user.pk, user.pk])
        rows = [row for row in cursor.fetchall() if mention_key(row[1]) in wanted]
    matches: dict[str, list[Any]] = defaultdict(list)
    for group in loader.build_all(sorted(rows, key=lambda row: row[0])):
        for name in wanted[mention_key(group.name)]:
            matches[name].append(group)
    found = {name: hits[0] for name, hits in matches.items() if len(hits) == 1}
    return found, {name for name, hits in matches.items() if len(hits) > 1}


@functools.lru_cache(maxsize=16)
def _groups_sql(alias: str) -> str:
    """``Group.objects.for_user(user)`` (creator or member), as written-out SQL taking the pk twice.

    A subquery instead of the queryset's join and ``DISTINCT``: same rows, no
    per-call ORM compile (see :func:`_people_sql`).
    """
    quote = connections[alias].ops.quote_name
    group, member = Group._meta, GroupMember._meta
    loader = _loader(alias, Group, ("pk", "name", "created_by_id"))
    columns = ", ".join(f"g.{quote(f.column)}" for f in loader.fields)
    return (
        f"SELECT {columns} FROM {quote(group.db_table)} g "
        f"WHERE g.{quote(group.get_field('created_by').column)} = %s "
        f"OR g.{quote(group.pk.column)} IN (SELECT m.{quote(member.get_field('group').column)} "
        f"FROM {quote(member.db_table)} m WHERE m.{quote(member.get_field('user').column)} = %s)"
    )


def _resolve_categories(user: Any, names: list[str]) -> dict[str, Any]:
    if not _signed_in(user):
        return {}
    wanted = _by_key(names)
    loader = _loader(router.db_for_read(Category), Category, ("pk", "user_id", "key", "name"))
    with connections[loader.alias].cursor() as cursor:
        cursor.execute(_categories_sql(loader.alias), [user.pk])
        rows = cursor.fetchall()
    best: dict[str, Any] = {}
    rank: dict[str, int] = {}
    # Rows in pk order, so that ties go to the lowest pk as before.
    for row in sorted(rows, key=lambda row: row[0]):
        _pk, owner, key, label = row
        # The author's own category beats a system one; a key match beats a name match.
        for folded, by_key in ((mention_key(key), True), (mention_key(label), False)):
            for name in wanted.get(folded, ()):
                score = (2 if owner is not None else 0) + (1 if by_key else 0)
                if score > rank.get(name, -1):
                    best[name] = row
                    rank[name] = score
    # Instances only for the winners (the user and system categories may be dozens).
    winners = {row[0]: row for row in best.values()}
    built = dict(zip(winners, loader.build_all(winners.values()), strict=True))
    return {name: built[row[0]] for name, row in best.items()}


@functools.lru_cache(maxsize=16)
def _categories_sql(alias: str) -> str:
    """``Category.objects.for_user(user)`` (own and system rows), as SQL taking the pk once."""
    quote = connections[alias].ops.quote_name
    meta = Category._meta
    loader = _loader(alias, Category, ("pk", "user_id", "key", "name"))
    columns = ", ".join(quote(f.column) for f in loader.fields)
    owner = quote(meta.get_field("user").column)
    return f"SELECT {columns} FROM {quote(meta.db_table)} WHERE {owner} = %s OR {owner} IS NULL"


def _signed_in(user: Any) -> bool:
    # What the querysets' for_user() checks: an anonymous user owns nothing.
    return user is not None and bool(getattr(user, "is_authenticated", False))


@dataclass(frozen=True)
class _Loader:
    """Builds model instances from raw rows as the ORM's iterator does: converters, then ``from_db``.

    ``fields`` are in ``concrete_fields`` order, the order ``from_db`` expects
    and the order the written-out queries select them in.
    """

    alias: str
    model: Any
    fields: tuple[Any, ...]

    def build_all(self, rows: Iterable[Sequence[Any]]) -> list[Any]:
        connection = connections[self.alias]
        converters = [
            (i, [*connection.ops.get_db_converters(col), *col.get_db_converters(connection)], col)
            for i, col in enumerate(f.get_col(self.model._meta.db_table) for f in self.fields)
        ]
        converters = [item for item in converters if item[1]]
        names = [f.attname for f in self.fields]
        instances = []
        for row in rows:
            values = list(row[: len(names)])
            for i, functions, col in converters:
                for convert in functions:
                    values[i] = convert(values[i], col, connection)
            instances.append(self.model.from_db(self.alias, names, values))
        return instances


@functools.lru_cache(maxsize=64)
def _loader(alias: str, model: Any, names: tuple[str, ...] | None) -> _Loader:
    """A :class:`_Loader` for ``names`` (attribute names, ``"pk"`` for the key) or all concrete fields."""
    fields = [
        f
        for f in model._meta.concrete_fields
        if names is None or f.attname in names or (f.primary_key and "pk" in names)
    ]
    return _Loader(alias, model, tuple(fields))


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


def mention_suggestions(user: Any, prefix: str, *, limit: int = 10) -> list[dict[str, Any]]:
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


def _uses_of(field_name: str, user: Any) -> Coalesce:
    counts = (
        TransactionMention.objects.filter(created_by=user, **{field_name: OuterRef("pk")})
        .order_by()
        .values(field_name)
        .annotate(uses=Count("pk"))
        .values("uses")
    )
    return Coalesce(Subquery(counts, output_field=IntegerField()), Value(0))


def _suggest_people(user: Any, term: str, limit: int) -> list[dict[str, Any]]:
    model = get_user_model()
    username_field = model.USERNAME_FIELD
    has_first_name = _has_field(model, "first_name")
    mentioned_before = TransactionMention.objects.filter(created_by=user, mentioned_user__isnull=False)
    rows = model.objects.filter(
        contact_ids(user) | Q(pk__in=mentioned_before.values("mentioned_user_id"))
    ).exclude(pk=user.pk)
    if _has_field(model, "is_active"):
        rows = rows.filter(is_active=True)
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


def _suggest_groups(user: Any, term: str, limit: int) -> list[dict[str, Any]]:
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


def _suggest_hashes(user: Any, term: str, limit: int) -> list[dict[str, Any]]:
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
