"""Who may read and write each row and relation of the app: the rules, decided once.

Every face (the admin, the management commands, the REST API, the pages) and
every service asks this module; none of them decides on its own. The table in
``docs/security.rst`` states the same rules in words.

Three questions, three functions:

* :func:`usable` — which rows may ``user`` *link to* from a row they own (the
  choices of a form's relation field): their own accounts, files, passwords,
  transactions, messages and merges; their own and the system categories and
  templates; the groups they created or joined; the people they may mention.
* :func:`check_write` — may ``actor`` change or delete this row? Raises
  :class:`~..exceptions.NotYours` (a 404 on every face) when not.
* :func:`check_links` — does every relation of this row point at something
  its owner may use? Raises :class:`~..exceptions.OwnershipError` (a
  validation error on the field) when not. It does not depend on who acts,
  so it also holds for superusers and for code.

Who a user may mention with ``@name`` or split a transaction with is a rule
too (:func:`mentionable_users`): by default the people who share a group with
them (creator or member) or already share a transaction with them (a split,
either way); a host widens or narrows it with the ``mentionable_users`` hook.
Anyone outside it is treated exactly like a name nobody has, so a mention
never reveals whether an unrelated account exists.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.db.models import Q
from django.db.models.fields.mixins import FieldCacheMixin

from .. import plugins
from ..exceptions import NotYours, OwnershipError
from ..types import RequestUser, UserLike, UserOrId
from .budgets import Budget, BudgetTemplate
from .chat import ChatMessage, TransactionMention
from .ledger import Account, Category, Group, GroupMember, Transaction, TransactionSplit
from .querysets import KeptQuerysets
from .statements import StatementMerge, StatementPassword, StatementProcessingLog, UploadedFile

if TYPE_CHECKING:
    from typing_extensions import TypeIs  # typing.TypeIs from Python 3.13

__all__ = [
    "check_delete",
    "check_links",
    "check_many",
    "check_merge_files",
    "check_participants",
    "check_write",
    "contacts",
    "editable",
    "is_signed_in",
    "member_candidates",
    "mentionable_users",
    "owner_id",
    "usable",
]

#: How each model's row names its owner (a path of foreign keys to the user).
OWNER_PATHS: dict[type[models.Model], str] = {
    Account: "user",
    Category: "user",
    Group: "created_by",
    GroupMember: "group__created_by",
    Transaction: "user",
    TransactionSplit: "transaction__user",
    TransactionMention: "transaction__user",
    ChatMessage: "user",
    UploadedFile: "user",
    StatementPassword: "user",
    StatementProcessingLog: "uploaded_file__user",
    StatementMerge: "merged_by",
    Budget: "user",
    BudgetTemplate: "created_by",
}


def is_signed_in(user: RequestUser | None) -> TypeIs[UserLike]:
    """Whether ``user`` is a signed-in user (an anonymous user owns nothing)."""
    return user is not None and bool(getattr(user, "is_authenticated", False))


def _is_superuser(user: RequestUser | None) -> bool:
    return is_signed_in(user) and bool(getattr(user, "is_superuser", False))


def _pk(value: Any) -> Any:
    return getattr(value, "pk", value)


# -- people ------------------------------------------------------------------------


def contacts(user: RequestUser | None) -> models.QuerySet:
    """The default rule's people: active users who share a group or a transaction with ``user``.

    A group is shared when either is its creator or a member; a transaction
    when one split it with the other. ``user`` is never among them. Costs no
    query until evaluated (four ``IN (subquery)`` conditions).
    """
    model = get_user_model()
    if not is_signed_in(user):
        return model.objects.none()
    # The user model's own manager each time, so a host's manager that hides rows is respected.
    people = model.objects.all()
    try:
        return people & _contacts_rule(model, user.pk)
    except TypeError:  # a manager queryset that cannot be combined (distinct, sliced)
        return _contacts_of(people, user.pk)


# Building the four subqueries costs more CPU than running the query they make
# (every mention, split and autocomplete asks), and they depend on nothing but
# the user's pk: each process keeps them, on the base manager, for recent users.
_contact_rules = KeptQuerysets(256)


def _contacts_rule(model: Any, user_pk: Any) -> models.QuerySet:
    return _contact_rules.get((model, user_pk), lambda: _contacts_of(model._base_manager.all(), user_pk))


def _contacts_of(people: models.QuerySet, user_pk: Any) -> models.QuerySet:
    in_my_groups = GroupMember.objects.filter(Q(group__created_by=user_pk) | Q(group__memberships__user=user_pk))
    creators_of_my_groups = Group.objects.filter(memberships__user=user_pk)
    i_split_with = TransactionSplit.objects.filter(transaction__user=user_pk)
    split_with_me = TransactionSplit.objects.filter(participant=user_pk)
    people = people.filter(
        Q(pk__in=in_my_groups.values("user_id"))
        | Q(pk__in=creators_of_my_groups.values("created_by_id"))
        | Q(pk__in=i_split_with.values("participant_id"))
        | Q(pk__in=split_with_me.values("transaction__user_id"))
    ).exclude(pk=user_pk)
    if any(f.name == "is_active" for f in people.model._meta.get_fields()):
        people = people.filter(is_active=True)
    return people


def mentionable_users(user: RequestUser | None) -> models.QuerySet:
    """Who ``user`` may mention with ``@name`` and split a transaction with (never ``user``).

    :returns: a queryset of the user model: the ``mentionable_users`` hook's
        answer, the built-in one being :func:`contacts`.
    """
    model = get_user_model()
    if not is_signed_in(user):
        return model.objects.none()
    default = contacts(user)
    people = plugins.hook().mentionable_users(user=user, contacts=default)
    if people is None or people is default:
        return default  # excludes the user already
    return people.exclude(pk=user.pk)


def member_candidates(user: RequestUser | None) -> models.QuerySet:
    """Whom a group's creator may add: any active user, named by exact username.

    Adding someone makes you contacts (they see the group's transactions and
    you may split with them); they may leave at any time. Faces ask for the
    username rather than offering a list, so nobody can browse the site's users.
    """
    model = get_user_model()
    if not is_signed_in(user):
        return model.objects.none()
    people = model._default_manager.all()
    if any(f.name == "is_active" for f in model._meta.get_fields()):
        people = people.filter(is_active=True)
    return people


def check_participants(owner: UserLike, participants: Iterable[Any]) -> None:
    """Raise unless every participant is ``owner`` or someone ``owner`` may split with.

    :raises OwnershipError: naming how many people are outside the rule (never who).
    """
    ids = {_pk(p) for p in participants} - {_pk(owner)}
    if not ids:
        return
    allowed = set(mentionable_users(owner).filter(pk__in=ids).values_list("pk", flat=True))
    if ids - allowed:
        raise OwnershipError(
            "You can split only with people who share a group or a transaction with you.",
            field="participant",
        )


# -- rows ----------------------------------------------------------------------------


def _related(obj: models.Model, name: str) -> Any:
    """``obj.<name>`` or ``None`` when unset (an inline's parent may be unsaved, so read the relation)."""
    try:
        return getattr(obj, name)
    except ObjectDoesNotExist:
        return None


def owner_id(obj: models.Model) -> Any:
    """The pk of the user who owns ``obj`` (``None`` for a system category or template)."""
    path = OWNER_PATHS.get(type(obj)) or _owner_path_of_model(type(obj))
    if path is None:
        return None
    first, _, rest = path.partition("__")
    if not rest:
        return getattr(obj, f"{first}_id")
    related = _related(obj, first)
    return owner_id(related) if related is not None else None


def _owner_path_of_model(model: type[models.Model]) -> str | None:
    for known, path in OWNER_PATHS.items():
        if issubclass(model, known):
            return path
    # Host models (AISettings, UserPreferences, swapped or not) are owned by ``user``.
    if any(f.name == "user" and f.is_relation for f in model._meta.get_fields()):
        return "user"
    return None


def editable(user: RequestUser | None, model: type[models.Model]) -> models.QuerySet:
    """The rows of ``model`` that ``user`` may change or delete (a superuser: all)."""
    qs = model._default_manager.all()
    if _is_superuser(user):
        return qs
    if not is_signed_in(user):
        return qs.none()
    if issubclass(model, GroupMember):
        # The creator manages the members; a member may leave (delete their own membership).
        return qs.filter(Q(group__created_by=user) | Q(user=user))
    path = OWNER_PATHS.get(model) or _owner_path_of_model(model)
    if path is None:
        return qs.none()
    return qs.filter(**{path: user})


def usable(user: RequestUser | None, model: type[models.Model]) -> models.QuerySet:
    """The rows of ``model`` that ``user`` may link to from a row they own.

    Own rows for owned models; own and system rows for categories and budget
    templates; groups created or joined; for the user model, ``user`` and the
    people they may mention; every row of a model nobody owns (currencies).
    """
    qs = model._default_manager.all()
    if not is_signed_in(user):
        return qs.none()
    if issubclass(model, get_user_model()):
        return qs.filter(Q(pk=user.pk) | Q(pk__in=mentionable_users(user).values("pk")))
    if issubclass(model, Category):
        return qs.filter(Q(user=user) | Q(user__isnull=True))
    if issubclass(model, BudgetTemplate):
        return qs.filter(Q(is_system=True) | Q(created_by=user))
    if issubclass(model, Group):
        return qs.filter(Q(created_by=user) | Q(pk__in=GroupMember.objects.filter(user=user).values("group_id")))
    path = OWNER_PATHS.get(model) or _owner_path_of_model(model)
    if path is None:
        return qs  # nobody owns it (currencies, a host's reference data)
    return qs.filter(**{path: user})


def check_write(actor: RequestUser | None, obj: models.Model) -> None:
    """Raise :class:`NotYours` unless ``actor`` may change ``obj`` (a superuser may change anything).

    Only a transaction's owner adds or changes its splits and mentions; only a
    group's creator adds members; processing logs are written by the pipeline
    only; system categories and templates by superusers only.
    """
    if _is_superuser(actor):
        return
    if not is_signed_in(actor) or isinstance(obj, StatementProcessingLog):
        raise NotYours(_not_yours(obj))
    owner = _owner_for_write(obj)
    if owner is None or owner != actor.pk:
        raise NotYours(_not_yours(obj))


def check_delete(actor: RequestUser | None, obj: models.Model) -> None:
    """Like :func:`check_write`; besides, a member may leave a group (delete their own membership)."""
    if isinstance(obj, GroupMember) and is_signed_in(actor) and obj.user_id == actor.pk:
        return
    check_write(actor, obj)


def require_signed_in(user: RequestUser | None) -> None:
    """Raise :class:`NotYours` unless ``user`` is signed in (an anonymous user owns nothing)."""
    if not is_signed_in(user):
        raise NotYours("Sign in first.")


def owned(user: RequestUser | None, obj: models.Model | None) -> Any:
    """``obj`` when ``user`` may change it (:func:`check_write`); for the services the faces call.

    :raises NotYours: ``obj`` is ``None``, someone else's, or ``user`` is not signed in.
    """
    require_signed_in(user)
    if obj is None:
        raise NotYours("No such row.")
    check_write(user, obj)
    return obj


def usable_link(user: RequestUser | None, model: type[models.Model], value: Any, field: str) -> Any:
    """The ``model`` row named by ``value`` (a row or an id) when ``user`` may link to it.

    :returns: the row, or ``None`` for an empty ``value``.
    :raises OwnershipError: no such row among those :func:`usable` gives ``user`` (a field error on ``field``).
    """
    if value is None or value == "":
        return None
    row = usable(user, model).filter(pk=_pk(value)).first()
    if row is None:
        raise OwnershipError(f"No such {field} among yours.", field=field)
    return row


def _owner_for_write(obj: models.Model) -> Any:
    # A split or mention is its transaction's owner's; a membership its group creator's.
    if isinstance(obj, GroupMember):
        group = _related(obj, "group")
        return group.created_by_id if group is not None else None
    if isinstance(obj, (TransactionSplit, TransactionMention)):
        tx = _related(obj, "transaction")
        return tx.user_id if tx is not None else None
    return owner_id(obj)


def _not_yours(obj: models.Model) -> str:
    return f"No such {obj._meta.verbose_name}."


# -- relations -------------------------------------------------------------------------


def _belongs(obj: models.Model, field: str, model: type[models.Model], owner: UserLike) -> bool:
    """Whether ``obj.<field>`` is a row the owner may use; in memory when the related row is loaded."""
    pk = getattr(obj, f"{field}_id")
    if pk is None:
        return True
    descriptor = obj._meta.get_field(field)
    if isinstance(descriptor, FieldCacheMixin) and descriptor.is_cached(obj):  # a foreign key's
        related = getattr(obj, field)
        if related is not None and related.pk == pk:
            related_owner = owner_id(related)
            if related_owner == owner.pk:
                return True
            if related_owner is None and isinstance(related, (Category, BudgetTemplate)):
                return True  # a system row
    return usable(owner, model).filter(pk=pk).exists()


def check_links(obj: models.Model, *, owner: UserLike | None = None, fields: Iterable[str] | None = None) -> None:
    """Raise :class:`OwnershipError` when a relation of ``obj`` points at a row its owner may not use.

    A password's account, a transaction's account, category, group, file and
    chat message, a chat message's transaction and file, a file's account,
    original and password, a category's parent, a split's participant, a
    mention's people and group: all must be the same user's (or usable by
    them: system categories, joined groups, people they may mention).
    Many-to-many relations are checked with :func:`check_merge_files`.

    :param owner: the owner's user object when the caller has it (saves a query).
    :param fields: only these relations (by field name), e.g. the ones a write
        changed; all of them by default.
    """
    owner_pk = _owner_for_write(obj)
    if owner_pk is None:
        return
    only = None if fields is None else set(fields)
    if only is not None and not only:
        return
    if owner is None or owner.pk != owner_pk:
        owner = get_user_model()._default_manager.filter(pk=owner_pk).first()
        if owner is None:
            return
    def wanted(field: str) -> bool:
        return only is None or field in only

    for field, model in _LINKS.get(type(obj), ()):
        if wanted(field) and not _belongs(obj, field, model, owner):
            raise OwnershipError(f"Choose one of your own {model._meta.verbose_name_plural}.", field=field)
    if isinstance(obj, TransactionSplit) and obj.participant_id is not None and wanted("participant"):
        check_participants(owner, [obj.participant_id])
    if isinstance(obj, TransactionMention):
        if obj.created_by_id is not None and obj.created_by_id != owner.pk and wanted("created_by"):
            raise OwnershipError("A mention is made by the transaction's owner.", field="created_by")
        if obj.mentioned_user_id is not None and wanted("mentioned_user"):
            if not mentionable_users(owner).filter(pk=obj.mentioned_user_id).exists():
                raise OwnershipError(
                    "You can mention only people who share a group or a transaction with you.",
                    field="mentioned_user",
                )
    if isinstance(obj, Transaction) and obj.paid_by_id is not None and obj.paid_by_id != owner.pk and wanted("paid_by"):
        if not mentionable_users(owner).filter(pk=obj.paid_by_id).exists():
            raise OwnershipError("The payer must be you or someone you share expenses with.", field="paid_by")
    if isinstance(obj, StatementMerge) and obj.primary_file_id is not None and wanted("primary_file"):
        if not UploadedFile.objects.filter(pk=obj.primary_file_id, user_id=owner.pk).exists():
            raise OwnershipError("A merge's files must all be your own statements.", field="primary_file")


def check_many(obj: models.Model, field: str, values: Iterable[Any]) -> None:
    """Raise :class:`OwnershipError` when a many-to-many value of ``obj`` is not its owner's to use."""
    if isinstance(obj, StatementMerge) and field == "duplicate_files":
        check_merge_files(obj.merged_by_id, values)


def check_merge_files(owner: UserOrId | None, files: Iterable[Any]) -> None:
    """Raise :class:`OwnershipError` unless every file is ``owner``'s statement (``owner``: a user or their pk)."""
    ids = {_pk(f) for f in files}
    if not ids:
        return
    mine = set(UploadedFile.objects.filter(pk__in=ids, user_id=_pk(owner)).values_list("pk", flat=True))
    if ids - mine:
        raise OwnershipError("A merge's files must all be your own statements.", field="duplicate_files")


#: The foreign keys :func:`check_links` checks, per model: (field, target model).
_LINKS: dict[type[models.Model], tuple[tuple[str, type[models.Model]], ...]] = {
    Transaction: (
        ("account", Account), ("category", Category), ("group", Group),
        ("uploaded_file", UploadedFile), ("chat_message", ChatMessage),
    ),
    TransactionMention: (("mentioned_group", Group),),
    ChatMessage: (("related_transaction", Transaction), ("related_file", UploadedFile)),
    UploadedFile: (("account", Account), ("duplicate_of", UploadedFile), ("used_password", StatementPassword)),
    StatementPassword: (("account", Account),),
    Category: (("parent", Category),),
}
