"""Shared admin behaviour: every admin of the app asks :mod:`..models.ownership`.

Staff who are not superusers:

* see and change only the rows :func:`~..models.ownership.editable` gives them;
* pick related rows only among :func:`~..models.ownership.usable` ones, in
  every foreign-key and many-to-many field, inlines included; a raw-id or
  autocomplete widget pre-filled from the URL (``?transaction=<id>``) shows
  no label for a row outside that set;
* own what they create.

For everyone, superusers included, a saved row's relations must satisfy
:func:`~..models.ownership.check_links`, and clashes with unique constraints
(a second AI settings row, a second default password) are form errors, never
a 500.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

import django
from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import ForeignKeyRawIdWidget, ManyToManyRawIdWidget
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import HttpRequest
from django.urls import reverse
from django.utils.text import capfirst

from ..exceptions import NotYours, OwnershipError
from ..models import ownership
from ..templatetags.expense_ai import format_money
from ..types import RequestUser, UserLike


def acting_user(request: HttpRequest) -> UserLike:
    """``request.user``, signed in (the admin lets only staff in).

    :raises PermissionDenied: an anonymous request reached an admin view.
    """
    user = request.user
    if not user.is_authenticated:
        raise PermissionDenied
    return user


def _is_superuser(user: RequestUser | None) -> bool:
    return bool(getattr(user, "is_superuser", False))


def breadcrumbs(model_admin: admin.ModelAdmin, *, here: str, original: Any = None) -> dict[str, Any]:
    """Context for ``admin/expense_ai/includes/breadcrumbs.html`` on a custom admin page.

    The links are the ones Django's change form shows (app, model list, the
    object), then ``here``, drawn with the admin's own bar markup for the
    installed Django (an ``<ol>`` from 6.0, a ``<div>`` before).

    :returns: ``{"ordered_list", "links": [(url, label), ...], "here"}``.
    """
    opts = model_admin.opts
    site = model_admin.admin_site.name
    links = [
        (reverse(f"{site}:app_list", kwargs={"app_label": opts.app_label}), opts.app_config.verbose_name),
        (reverse(f"{site}:{opts.app_label}_{opts.model_name}_changelist"), capfirst(opts.verbose_name_plural)),
    ]
    if original is not None:
        links.append((reverse(f"{site}:{opts.app_label}_{opts.model_name}_change", args=[original.pk]),
                      str(original)))
    return {"ordered_list": django.VERSION >= (6, 0), "links": links, "here": here}


def money_display(amount: Any, currency: Any) -> str:
    """An amount as the admin shows it: the currency's minor units, never the column's four decimals.

    :returns: e.g. ``"-1,450.00 USD"`` (a no-break space before the code); ``"-"`` for no amount.
    """
    if amount is None:
        return "-"
    # The pages' helper: minor units and the active locale's digit grouping and decimal mark.
    text = format_money(amount, currency)
    return text.replace(" ", "\u00a0")  # one unit in a narrow column: never "-12.50" over "USD"


class MoneyInput(forms.NumberInput):
    """A decimal input that shows ``30.00`` for a stored ``30.0000`` (two places unless more are needed).

    The columns keep four places for exchange rates and shares; an input
    shows only the places the value uses, at least two.
    """

    def format_value(self, value: Any) -> Any:
        if isinstance(value, Decimal) and value.is_finite():
            cents = value.quantize(Decimal("0.01"))
            value = cents if cents == value else value.normalize()
            return format(value, "f")
        return super().format_value(value)


#: Every admin and inline of the app edits decimals with :class:`MoneyInput`.
DECIMAL_OVERRIDES: dict[type[models.Field], dict[str, Any]] = {models.DecimalField: {"widget": MoneyInput(attrs={"step": "any"})}}


class ScopedRawIdWidget(ForeignKeyRawIdWidget):
    """A raw-id widget that names a pre-filled row only when the acting user may use it."""

    def __init__(self, rel: Any, admin_site: Any, queryset: Any, **kwargs: Any) -> None:
        super().__init__(rel, admin_site, **kwargs)
        self.scope = queryset

    def label_and_url_for_value(self, value: Any) -> tuple[str, str]:
        key = self.rel.get_related_field().name
        try:
            visible = self.scope.filter(**{key: value}).exists()
        except (ValueError, TypeError, ValidationError):
            visible = False
        return super().label_and_url_for_value(value) if visible else ("", "")


class ScopedManyRawIdWidget(ManyToManyRawIdWidget):
    """The many-to-many raw-id widget; it shows no labels, only what the user typed."""


class UsernameChoiceField(forms.ModelChoiceField):
    """A user typed by exact username (never a list or an id to browse)."""

    widget = forms.TextInput
    to_field_name: str  # the user model's USERNAME_FIELD, set below

    def __init__(self, queryset: Any, **kwargs: Any) -> None:
        kwargs.pop("widget", None)
        kwargs["to_field_name"] = queryset.model.USERNAME_FIELD
        super().__init__(queryset, **kwargs)
        self.help_text = self.help_text or "The person's exact username."

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, int) and self.queryset is not None:  # a saved row's initial value: the user's pk
            person = self.queryset.filter(pk=value).first()
            return getattr(person, self.to_field_name, "") if person is not None else ""
        return super().prepare_value(value)


if TYPE_CHECKING:  # what the mixins below are mixed into, for the checker
    _FormBase = forms.ModelForm
    _AdminBase = admin.options.BaseModelAdmin
else:
    _FormBase = _AdminBase = object


class ScopedFormMixin(_FormBase):
    """Model-form checks every admin form of the app gets (see the module docstring)."""

    actor: RequestUser | None = None
    owner_field: str | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        instance = self.instance
        owner = self.owner_field
        # A staff user's new row is theirs from the start, so the model's own
        # checks (a default password's clash, unique owner rows) see the owner.
        if (
            owner
            and instance.pk is None
            and self.actor is not None
            and not _is_superuser(self.actor)
            and getattr(instance, f"{owner}_id", None) is None
            and owner not in self.fields
        ):
            setattr(instance, owner, self.actor)

    def validate_unique(self) -> None:
        super().validate_unique()
        if self.errors:
            return
        instance = self.instance
        try:
            ownership.check_links(instance)
            for name, value in self.cleaned_data.items():
                field = instance._meta.get_field(name) if name in self._model_fields() else None
                if field is not None and field.many_to_many:
                    ownership.check_many(instance, name, value)
            if self.actor is not None and (instance.pk is not None or not _is_superuser(self.actor)):
                ownership.check_write(self.actor, instance)
        except OwnershipError as err:
            field = err.field if err.field in self.fields else None
            self.add_error(field, err.message_text)
            return
        except NotYours as err:
            self.add_error(None, str(err))
            return
        # Unique constraints on fields the form leaves out (the owner) are
        # checked here too, so a clash is a form error instead of an IntegrityError.
        try:
            instance.validate_unique()
            instance.validate_constraints()
        except ValidationError as err:
            for message in err.messages:
                self.add_error(None, message)


    def _model_fields(self) -> set[str]:
        return {f.name for f in self.instance._meta.get_fields()}


def scoped_form(form_class: type[forms.BaseForm], *, actor: RequestUser | None, owner_field: str | None) -> type:
    """``form_class`` with :class:`ScopedFormMixin`, bound to the acting user."""
    return type(
        form_class.__name__,
        (ScopedFormMixin, form_class),
        {"actor": actor, "owner_field": owner_field, "__module__": form_class.__module__},
    )


class ScopedRelationsMixin(_AdminBase):
    """Relation fields restricted to :func:`~..models.ownership.usable` rows (for every admin and inline)."""

    #: User fields filled in by exact username (a group's members).
    username_fields: tuple[str, ...] = ()

    def _restrict(self, db_field: Any, request: HttpRequest, kwargs: dict[str, Any], many: bool) -> None:
        if _is_superuser(request.user):
            return
        if db_field.name in self.username_fields:
            kwargs["form_class"] = UsernameChoiceField
            kwargs["queryset"] = ownership.member_candidates(request.user)
            return
        queryset = ownership.usable(request.user, db_field.related_model)
        kwargs["queryset"] = queryset
        if db_field.name in self.raw_id_fields:
            site = self.admin_site
            if many:
                kwargs["widget"] = ScopedManyRawIdWidget(db_field.remote_field, site)
            else:
                kwargs["widget"] = ScopedRawIdWidget(db_field.remote_field, site, queryset)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        self._restrict(db_field, request, kwargs, many=False)
        if kwargs.get("form_class") is UsernameChoiceField:
            return db_field.formfield(**kwargs)  # no raw-id or autocomplete widget around it
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        self._restrict(db_field, request, kwargs, many=True)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class ScopedAdmin(ScopedRelationsMixin, admin.ModelAdmin):
    """Base of every ModelAdmin of the app."""

    formfield_overrides = DECIMAL_OVERRIDES

    #: The field naming the row's owner, set on a staff user's new rows; ``None``: none.
    owner_field: str | None = "user"

    def get_queryset(self, request: HttpRequest) -> Any:
        qs = super().get_queryset(request)
        if _is_superuser(request.user):
            return qs
        return qs.filter(pk__in=ownership.editable(request.user, self.model).values("pk"))

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        return scoped_form(form, actor=request.user, owner_field=self.owner_field)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        ro = list(super().get_readonly_fields(request, obj))
        if self.owner_field and not _is_superuser(request.user) and self.owner_field not in ro:
            ro.append(self.owner_field)
        return ro

    def assign_owner(self, request: HttpRequest, obj: Any, change: bool) -> None:
        """A staff user's new row is theirs (a superuser chooses the owner in the form)."""
        owner = self.owner_field
        if owner and not change and not _is_superuser(request.user) and hasattr(obj, f"{owner}_id"):
            setattr(obj, owner, request.user)

    def save_model(self, request: Any, obj: Any, form: Any, change: bool) -> None:
        self.assign_owner(request, obj, change)
        super().save_model(request, obj, form, change)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and not self._may(ownership.check_write, request, obj):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and not self._may(ownership.check_delete, request, obj):
            return False
        return super().has_delete_permission(request, obj)

    def deletable(self, request: HttpRequest, queryset: Any) -> Any:
        """The rows of ``queryset`` the acting user may delete (the changelist's bulk delete)."""
        allowed = [obj.pk for obj in queryset if self._may(ownership.check_delete, request, obj)]
        return queryset.filter(pk__in=allowed)

    def delete_queryset(self, request: Any, queryset: Any) -> None:
        super().delete_queryset(request, self.deletable(request, queryset))

    @staticmethod
    def _may(check: Any, request: HttpRequest, obj: Any) -> bool:
        try:
            check(request.user, obj)
        except NotYours:
            return False
        return True


class ScopedInline(ScopedRelationsMixin, admin.TabularInline):
    """Base of every inline of the app: scoped choices, and the parent's owner must own the rows."""

    formfield_overrides = DECIMAL_OVERRIDES

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        formset = super().get_formset(request, obj, **kwargs)
        formset.form = scoped_form(formset.form, actor=request.user, owner_field=None)
        return formset


#: The former name, kept for hosts that subclassed it.
OwnedAdmin = ScopedAdmin
