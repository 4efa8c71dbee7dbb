"""Serializer fields: money as a decimal string in the currency's minor units, and
relations whose choices are the requesting user's rows."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..exceptions import MoneyError
from ..models import ownership
from ..money import money_str, quantize

MONEY_PATTERN = r"^-?\d+(\.\d+)?$"


class IdField(serializers.IntegerField):
    """A row id: a positive integer that fits a 64-bit primary key column."""

    def __init__(self, **kwargs: Any):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(**kwargs)


class DecimalStringField(serializers.DecimalField):
    """A decimal that is always a JSON string (never a number), whatever the host's settings."""

    def __init__(self, **kwargs: Any):
        kwargs["coerce_to_string"] = True
        super().__init__(**kwargs)


@extend_schema_field({"type": "string", "format": "decimal", "pattern": MONEY_PATTERN,
                      "example": "-12.50"})
class MoneyField(serializers.DecimalField):
    """A signed amount: a decimal string with exactly the currency's minor units
    (``"-12.50"`` USD, ``"1200"`` JPY); never a JSON number.

    :param currency_attr: the instance attribute holding the ISO code; a fixed
        code when ``currency`` is given instead.
    """

    def __init__(self, *, currency_attr: str = "currency", currency: str | None = None, **kwargs: Any):
        kwargs.setdefault("max_digits", 15)
        kwargs.setdefault("decimal_places", 4)
        kwargs["coerce_to_string"] = True
        self.currency_attr = currency_attr
        self.currency = currency
        super().__init__(**kwargs)

    def get_attribute(self, instance: Any) -> Any:
        value = super().get_attribute(instance)
        if value is None:
            return None
        code = self.currency or _lookup(instance, self.currency_attr)
        return (value, code)

    def to_representation(self, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, tuple):
            amount, code = value
            if code:
                try:
                    return money_str(quantize(amount, code))
                except MoneyError:
                    pass
            value = amount
        return money_str(value)


def _lookup(instance: Any, attr: str) -> Any:
    for part in attr.split("."):
        instance = instance.get(part) if isinstance(instance, dict) else getattr(instance, part, None)
        if instance is None:
            return None
    return getattr(instance, "code", instance)


class UserScopedRelatedField(serializers.PrimaryKeyRelatedField):
    """A primary key among the rows the user may link to (:func:`~..models.ownership.usable`); others are "not found"."""

    default_error_messages = {"does_not_exist": "No such row among yours (id {pk_value})."}

    def __init__(self, model: Any = None, **kwargs: Any):
        self.model = model
        if not kwargs.get("read_only"):
            kwargs.setdefault("queryset", model.objects.none())
        super().__init__(**kwargs)

    def get_queryset(self) -> QuerySet[Any]:
        request = self.context.get("request")
        return ownership.usable(getattr(request, "user", None), self.model)


@extend_schema_field(OpenApiTypes.STR)
class WriteOnlySecretField(serializers.CharField):
    """A secret accepted on input and never written back."""

    def __init__(self, **kwargs: Any):
        kwargs["write_only"] = True
        kwargs.setdefault("required", False)
        kwargs.setdefault("trim_whitespace", False)
        kwargs.setdefault("style", {"input_type": "password"})
        super().__init__(**kwargs)
