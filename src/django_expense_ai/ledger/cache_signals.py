"""Receivers that keep cached reports current (see :mod:`django_expense_ai.ledger.report_cache`).

``Transaction`` save/delete bump the version of the user-month the row is in,
and on save also the user-month it was in before (a date moved from March to
April changes both months). ``Category`` save/delete bump the category
version. Writes that bypass ``save()`` (``bulk_create``, ``QuerySet.update()``)
send no signal: their callers use :func:`~django_expense_ai.ledger.report_cache.invalidate_transactions`.

Cost: one ``SELECT user_id, date`` by primary key before each save of an
existing transaction (skipped when ``update_fields`` names neither), and
deleting many transactions through the ORM loads them (Django sends
``post_delete`` per row once a receiver listens).
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from ..models import Category, Transaction
from .report_cache import invalidate_categories, invalidate_transactions

_BEFORE = "_expense_ai_cache_before"


@receiver(pre_save, sender=Transaction, dispatch_uid="expense_ai_cache_tx_before")
def remember_month_before(sender: Any, instance: Transaction, using: str | None = None,
                          update_fields: Any = None, **kwargs: Any) -> None:
    if instance.pk is None or instance._state.adding:
        return
    if update_fields is not None and not {"date", "user", "user_id"} & set(update_fields):
        return
    before = sender._base_manager.using(using).filter(pk=instance.pk).values_list("user_id", "date").first()
    setattr(instance, _BEFORE, before)


@receiver(post_save, sender=Transaction, dispatch_uid="expense_ai_cache_tx_saved")
def transaction_saved(sender: Any, instance: Transaction, using: str | None = None, **kwargs: Any) -> None:
    months = [(instance.user_id, instance.date)]
    before = instance.__dict__.pop(_BEFORE, None)
    if before is not None:
        months.append(before)
    invalidate_transactions(months, using=using)


@receiver(post_delete, sender=Transaction, dispatch_uid="expense_ai_cache_tx_deleted")
def transaction_deleted(sender: Any, instance: Transaction, using: str | None = None, **kwargs: Any) -> None:
    invalidate_transactions([(instance.user_id, instance.date)], using=using)


@receiver(post_save, sender=Category, dispatch_uid="expense_ai_cache_category_saved")
@receiver(post_delete, sender=Category, dispatch_uid="expense_ai_cache_category_deleted")
def category_changed(sender: Any, using: str | None = None, **kwargs: Any) -> None:
    invalidate_categories(using=using)
