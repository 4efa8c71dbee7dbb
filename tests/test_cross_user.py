"""User B against user A: no door from one user's data to another's.

Written over the admin registry and the URL patterns, not over a list of
today's pages, so an admin, an API view or a page added later is covered the
day it lands. A and B are staff holding every permission of the app (not
superusers). Every text A owns carries ``MARK``; a test fails on any response
to B that contains it, and on any write of B's that touches A's rows.
"""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.forms import TextInput
from django.test import RequestFactory
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse

from django_expense_ai.admin.base import UsernameChoiceField
from django_expense_ai.budgets import create_template
from django_expense_ai.chat import mention_suggestions, submit_message
from django_expense_ai.exceptions import NotYours, OwnershipError
from django_expense_ai.ledger.splits import apply_split
from django_expense_ai.models import (
    Account,
    Budget,
    Category,
    ChatMessage,
    Group,
    GroupMember,
    StatementMerge,
    StatementPassword,
    StatementProcessingLog,
    Transaction,
    TransactionMention,
    TransactionSplit,
    UploadedFile,
    ownership,
)
from django_expense_ai.models.swappable import (
    ai_settings_for,
    get_ai_settings_model,
    get_user_preferences_model,
    preferences_for,
)
from django_expense_ai.statements import import_statement

pytestmark = pytest.mark.django_db

MARK = "alphasecret"  # compared lower-cased
A_KEY = "sk-alphasecret-0123456789"
A_PASSWORD = "alphasecret-statement-pw"
CSV_A = (
    "Date,Description,Amount\n"
    "2026-10-01,ALPHASECRET grocer,-42.10\n"
    "2026-10-02,ALPHASECRET salary,2500.00\n"
    "2026-10-03,ALPHASECRET cafe,-3.80\n"
)
CSV_A2 = CSV_A + "2026-10-04,ALPHASECRET books,-12.00\n"


def _staff(django_user_model, username):
    user = django_user_model.objects.create_user(username=username, password="pw", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="expense_ai"))
    return user


class World:
    """A's rows by model, and the people."""

    def __init__(self):
        self.rows: dict[type, list] = {}

    def add(self, *objs):
        for obj in objs:
            self.rows.setdefault(type(obj), []).append(obj)
        return objs[0]


@pytest.fixture
def world(django_user_model):
    w = World()
    w.a = _staff(django_user_model, "alphasecret_owner")
    w.b = _staff(django_user_model, "bravo")
    w.c = django_user_model.objects.create_user(username="alphasecret_friend", password="pw")
    w.stranger = django_user_model.objects.create_user(username="stranger", password="pw")
    a = w.a
    account = w.add(Account.objects.create(user=a, name="ALPHASECRET checking", number_mask="****9911"))
    category = w.add(Category.objects.create(user=a, key="alphasecret-food", name="ALPHASECRET food"))
    group = w.add(Group.objects.create(name="ALPHASECRET flat", created_by=a))
    w.add(GroupMember.objects.create(group=group, user=w.c))
    tx = w.add(Transaction.objects.create(
        user=a, account=account, category=category, group=group, date=dt.date(2026, 10, 5),
        amount=Decimal("-60.00"), currency="USD", description="ALPHASECRET dinner", notes="ALPHASECRET notes",
    ))
    w.add(*apply_split(tx, [a, w.c], "equal", user=a))
    w.add(TransactionMention.objects.create(
        transaction=tx, created_by=a, mention_type="user", mentioned_user=w.c, mentioned_text="@alphasecret_friend",
    ))
    w.add(ChatMessage.objects.create(user=a, conversation_id="main", content="ALPHASECRET $60 dinner",
                                     related_transaction=tx))
    first = w.add(import_statement(a, CSV_A.encode(), filename="alphasecret-oct.csv", account=account))
    second = w.add(import_statement(a, CSV_A2.encode(), filename="alphasecret-oct-2.csv", account=account))
    w.add(*StatementProcessingLog.objects.filter(uploaded_file__user=a))
    merge = StatementMerge.objects.create(primary_file=first, merged_by=a, similarity_score=Decimal("91.00"),
                                          details={"note": "ALPHASECRET"})
    merge.duplicate_files.add(second)
    w.add(merge)
    w.add(*Transaction.objects.filter(uploaded_file__user=a))
    password = StatementPassword(user=a, account=account, password_hint="ALPHASECRET hint")
    password.set_password(A_PASSWORD)
    password.save()
    w.add(password)
    w.add(Budget.objects.create(user=a, name="ALPHASECRET budget", start_date=dt.date(2026, 10, 1),
                                end_date=dt.date(2026, 10, 31), amount=Decimal("900.00")))
    w.add(create_template(a, name="ALPHASECRET plan", category_allocations={"housing": "100"}))
    ai_settings = ai_settings_for(a)
    ai_settings.set_api_key("openai", A_KEY)
    ai_settings.save()
    w.add(ai_settings)
    w.add(preferences_for(a))
    # B's own rows, so B's pages are not empty.
    w.b_account = Account.objects.create(user=w.b, name="B checking")
    w.b_file = import_statement(w.b, b"Date,Description,Amount\n2026-10-01,coffee,-3.00\n", filename="b.csv")
    w.b_merge = StatementMerge.objects.create(primary_file=w.b_file, merged_by=w.b, similarity_score=Decimal("80"))
    return w


@pytest.fixture
def b_client(client, world):
    client.force_login(world.b)
    return client


def _a_leaks(world, response) -> list[str]:
    body = response.content.decode("utf-8", "replace").lower()
    return [needle for needle in (MARK, A_KEY.lower(), A_PASSWORD.lower()) if needle in body]


def _registered():
    """Every model of the app (and the host models it registers) with its ModelAdmin."""
    models = list(apps.get_app_config("expense_ai").get_models())
    for getter in (get_ai_settings_model, get_user_preferences_model):
        if getter() not in models:
            models.append(getter())
    return [(m, admin.site.get_model_admin(m)) for m in models if admin.site.is_registered(m)]


def _admin_url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def _a_rows(world, model):
    return [obj for cls, objs in world.rows.items() if issubclass(cls, model) for obj in objs]


def _a_related(world, model):
    """A's rows a relation field pointing at ``model`` could name (A and A's contact for the user model)."""
    if model is type(world.a):
        return [world.a, world.c]
    return _a_rows(world, model)


# -- the admin: reading ------------------------------------------------------------


def test_the_world_has_rows_of_every_registered_model(world):
    # Otherwise the tests below would pass vacuously for a model.
    missing = [m.__name__ for m, _ in _registered() if not _a_rows(world, m) and m._meta.model_name != "currencyinfo"]
    assert missing == []


def test_prefilled_relations_never_show_another_users_rows(world, b_client):
    checked = 0
    for model, _model_admin in _registered():
        url = _admin_url(model, "add")
        for field in model._meta.get_fields():
            if not (field.is_relation and field.concrete and getattr(field, "editable", False)):
                continue
            for target in _a_related(world, field.related_model):
                response = b_client.get(url, {field.name: target.pk})
                assert response.status_code in (200, 302, 403), (model, field.name)
                assert not _a_leaks(world, response), (model.__name__, field.name, target.pk)
                checked += 1
    assert checked > 50


def test_change_history_and_delete_of_another_users_rows_are_not_found(world, b_client):
    for model, _model_admin in _registered():
        for obj in _a_rows(world, model):
            for view in ("change", "history", "delete"):
                response = b_client.get(_admin_url(model, view, obj.pk))
                assert response.status_code in (302, 404), (model.__name__, view, response.status_code)
                assert not _a_leaks(world, response), (model.__name__, view)
            b_client.post(_admin_url(model, "delete", obj.pk), {"post": "yes"})
            assert model._default_manager.filter(pk=obj.pk).exists(), (model.__name__, "deleted by B")


def test_changelists_and_autocomplete_show_only_own_rows(world, b_client):
    for model, _model_admin in _registered():
        response = b_client.get(_admin_url(model, "changelist"))
        assert response.status_code in (200, 403), model
        assert not _a_leaks(world, response), model.__name__
        response = b_client.get(_admin_url(model, "changelist"), {"q": "secret"})  # matches A's rows
        assert not _a_leaks(world, response), model.__name__
    # The admin's autocomplete for every autocomplete field of every admin.
    for model, model_admin in _registered():
        for name in model_admin.autocomplete_fields:
            response = b_client.get(reverse("admin:autocomplete"), {
                "app_label": model._meta.app_label, "model_name": model._meta.model_name,
                "field_name": name, "term": "",
            })
            assert response.status_code in (200, 403)
            assert not _a_leaks(world, response), (model.__name__, name)


def _request(user):
    request = RequestFactory().get("/")
    request.user = user
    return request


def test_every_relation_field_of_every_admin_form_offers_only_usable_rows(world):
    """The form level: a new admin or inline with an unrestricted relation fails here."""
    request = _request(world.b)
    forbidden = {(type(obj), obj.pk) for objs in world.rows.values() for obj in objs} | {
        (type(world.a), world.a.pk), (type(world.c), world.c.pk)
    }
    checked = 0
    for model, model_admin in _registered():
        forms = [model_admin.get_form(request)]
        forms += [inline.get_formset(request).form for inline in model_admin.get_inline_instances(request)]
        for form_class in forms:
            for name, field in form_class.base_fields.items():
                queryset = getattr(field, "queryset", None)
                if queryset is None:
                    continue
                if isinstance(field, UsernameChoiceField):
                    # A group's new member: typed by exact username, never listed or looked up by id.
                    assert isinstance(field.widget, TextInput) and field.to_field_name == "username"
                    continue
                offered = {(queryset.model, pk) for pk in queryset.values_list("pk", flat=True)}
                leaked = {pk for cls, pk in offered if any(issubclass(cls, f) and pk == p for f, p in forbidden)}
                assert not leaked, (model.__name__, form_class.__name__, name, leaked)
                checked += 1
    assert checked > 15


# -- the admin: writing --------------------------------------------------------------


def _counts():
    return {m: m._default_manager.count() for m, _ in _registered()}


def test_crafted_admin_writes_into_another_users_rows_are_refused(world, b_client):
    tx = _a_rows(world, Transaction)[0]
    group = _a_rows(world, Group)[0]
    account = _a_rows(world, Account)[0]
    category = _a_rows(world, Category)[0]
    a_file = _a_rows(world, UploadedFile)[0]
    before = _counts()
    attempts = [
        (_admin_url(TransactionSplit, "add"), {"transaction": tx.pk, "participant": world.b.pk, "amount": "1.00",
                                               "split_method": "equal", "split_value": "0"}),
        (_admin_url(GroupMember, "add"), {"group": group.pk, "user": "bravo"}),
        (_admin_url(StatementProcessingLog, "add"), {"uploaded_file": a_file.pk, "processing_stage": "upload",
                                                     "status": "failed", "details": '{"message": "re-enter"}'}),
        (_admin_url(StatementPassword, "add"), {"account": account.pk, "password": "x", "password_hint": "h"}),
        (_admin_url(ChatMessage, "add"), {"related_transaction": tx.pk, "conversation_id": "main",
                                          "message_type": "user", "content": "hi", "metadata": "{}",
                                          "status": "draft"}),
        (_admin_url(Transaction, "add"), {"account": account.pk, "category": category.pk, "group": group.pk,
                                          "date": "2026-10-09", "amount": "-1.00", "currency": "USD",
                                          "source": "manual", "expense_classification": "regular_monthly",
                                          **_empty_inlines()}),
        (_admin_url(TransactionMention, "add"), {"transaction": tx.pk, "mention_type": "user",
                                                 "mentioned_user": world.b.pk, "mentioned_text": "@bravo"}),
        (_admin_url(StatementMerge, "change", world.b_merge.pk), {
            "primary_file": world.b_file.pk, "duplicate_files": [a_file.pk], "merge_strategy": "manual"}),
        (_admin_url(Transaction, "change", tx.pk), {"description": "changed by B", "date": "2026-10-05",
                                                    "amount": "-1.00", "currency": "USD", "source": "manual",
                                                    "expense_classification": "regular_monthly"}),
    ]
    for url, data in attempts:
        response = b_client.post(url, data)
        assert response.status_code in (200, 302, 403, 404), url
        assert not _a_leaks(world, response), url
    assert _counts() == before
    tx.refresh_from_db()
    assert tx.description == "ALPHASECRET dinner" and tx.splits.count() == 2
    assert not world.b_merge.duplicate_files.exists()
    assert not GroupMember.objects.filter(user=world.b).exists()


def _empty_inlines():
    data = {}
    for prefix in ("splits", "mentions"):
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    return data


def test_a_member_may_leave_a_group_but_not_add_people(world, client):
    membership = GroupMember.objects.get(user=world.c)
    world.c.is_staff = True
    world.c.save()
    world.c.user_permissions.set(Permission.objects.filter(content_type__app_label="expense_ai"))
    client.force_login(world.c)
    response = client.post(_admin_url(GroupMember, "add"), {"group": membership.group_id, "user": "stranger"})
    assert response.status_code == 200 and not GroupMember.objects.filter(user=world.stranger).exists()
    response = client.post(_admin_url(GroupMember, "delete", membership.pk), {"post": "yes"})
    assert response.status_code == 302 and not GroupMember.objects.filter(pk=membership.pk).exists()


# -- every URL the package exposes ----------------------------------------------------------


def _package_patterns(resolver=None, prefix=""):
    """(namespaced name, parameter names) of every named URL whose view is the package's."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = f"{prefix}{entry.namespace}:" if entry.namespace else prefix
            yield from _package_patterns(entry, ns)
        elif isinstance(entry, URLPattern) and entry.name:
            module = getattr(entry.callback, "__module__", "") or ""
            admin_of_app = prefix == "admin:" and entry.name.startswith("expense_ai_")
            if module.startswith("django_expense_ai") or admin_of_app:
                yield prefix + entry.name, list(entry.pattern.converters)


def _pks_for(world, name):
    """A's ids for a URL: the admin's own model's rows for an admin URL, every id of A's otherwise."""
    for model, _ in _registered():
        if name.startswith(f"admin:{model._meta.app_label}_{model._meta.model_name}_"):
            return sorted({obj.pk for obj in _a_rows(world, model)})
    # Any model's id may be meant: every id of A's that names no row of B's.
    b_pks = {pk for model, _ in _registered() for pk in ownership.editable(world.b, model).values_list("pk", flat=True)}
    return sorted({obj.pk for objs in world.rows.values() for obj in objs} - b_pks)


def test_every_package_url_with_another_users_ids(world, b_client):
    visited = 0
    for name, params in _package_patterns():
        if not params:
            continue
        for values in itertools.product(_pks_for(world, name), repeat=len(params)):
            try:
                url = reverse(name, kwargs=dict(zip(params, map(str, values), strict=True)))
            except NoReverseMatch:
                continue
            response = b_client.get(url)
            assert response.status_code in (302, 403, 404, 405), (name, url, response.status_code)
            assert not _a_leaks(world, response), (name, url)
            visited += 1
    assert visited > 50


# -- services ----------------------------------------------------------------------------


def test_only_the_owner_splits_a_transaction(world):
    tx = _a_rows(world, Transaction)[0]
    with pytest.raises(NotYours):
        apply_split(tx, [world.a, world.b], "equal", user=world.b)
    with pytest.raises(OwnershipError):  # the owner may not split with a stranger either
        apply_split(tx, [world.a, world.stranger], "equal", user=world.a)
    assert sorted(tx.splits.values_list("participant_id", flat=True)) == sorted([world.a.pk, world.c.pk])


def test_a_mention_of_another_users_group_or_a_stranger_charges_nobody(world):
    result = submit_message(world.b, "@alphasecret-flat $60 groceries")
    assert result.transaction is None or not result.transaction.splits.exists()
    assert not TransactionSplit.objects.filter(participant__in=[world.a, world.c], transaction__user=world.b).exists()
    stranger = submit_message(world.b, "@stranger $10 lunch")
    nobody = submit_message(world.b, "@no_such_person_at_all $10 lunch")
    # An unrelated account and a name nobody has read the same.
    def shape(result):
        return [{k: v for k, v in m.items() if k not in ("text", "name")} for m in result.message.metadata["mentions"]]

    assert shape(stranger) == shape(nobody) and stranger.message.status == nobody.message.status
    assert mention_suggestions(world.b, "@alpha") == []


def test_the_mentionable_users_hook_widens_the_rule(world, register_plugin):
    from django_expense_ai import hookimpl

    class EveryoneStaff:
        @hookimpl
        def mentionable_users(self, user, contacts):
            return contacts.model.objects.filter(is_staff=True)

    assert not ownership.mentionable_users(world.b).filter(pk=world.a.pk).exists()
    register_plugin(EveryoneStaff())
    assert ownership.mentionable_users(world.b).filter(pk=world.a.pk).exists()
    assert not ownership.mentionable_users(world.b).filter(pk=world.b.pk).exists()


def test_contacts_follow_the_rows_though_each_process_keeps_the_rule(world, django_user_model):
    # The rule's subqueries are kept per user; the people are read afresh on every call.
    before = set(ownership.contacts(world.b))  # evaluated: must not be what the next call returns
    assert world.stranger not in before
    group = Group.objects.create(name="bravo team", created_by=world.b)
    GroupMember.objects.create(group=group, user=world.stranger)
    assert set(ownership.contacts(world.b)) == before | {world.stranger}
    assert ownership.mentionable_users(world.b).filter(pk=world.stranger.pk).exists()
    world.stranger.is_active = False
    world.stranger.save(update_fields=["is_active"])
    assert not ownership.mentionable_users(world.b).filter(pk=world.stranger.pk).exists()
    # Another user's rule is their own, whatever was kept before.
    assert not ownership.contacts(world.c).filter(pk=world.stranger.pk).exists()


def test_a_merge_never_reaches_another_users_files(world):
    from django_expense_ai.statements.merges import merge_review

    a_file = _a_rows(world, UploadedFile)[0]
    world.b_merge.duplicate_files.add(a_file)  # written behind the rules' back
    review = merge_review(world.b_merge)
    assert [item["file"] for item in review["duplicates"]] == []
    with pytest.raises(OwnershipError):
        ownership.check_merge_files(world.b, [a_file])
