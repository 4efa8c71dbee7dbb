"""Data the page tests share: people who share a group, CSV statements made in code."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile

from django_expense_ai.models import Account, Group, GroupMember


def make_person(django_user_model, username, **extra):
    return django_user_model.objects.create_user(username=username, password="pw", first_name=username.title(),
                                                 **extra)


def flatmates(author, *others, name="Flatmates"):
    """A group ``author`` created with ``others`` as members: they may mention each other."""
    group = Group.objects.create(name=name, created_by=author)
    for member in (author, *others):
        GroupMember.objects.create(group=group, user=member)
    return group


def account_of(user, name="Checking", currency="USD"):
    return Account.objects.create(user=user, name=name, currency=currency, is_default=True)


def csv_statement(rows: int, *, start=dt.date(2026, 10, 1), skip_last: int = 0, label: str = "SHOP") -> bytes:
    """A bank's CSV export: ``rows`` spending rows from ``start``, one a day."""
    lines = ["Date,Description,Amount"]
    for i in range(rows - skip_last):
        amount = -(Decimal(5 + (i * 13) % 70) + Decimal((i * 29) % 100) / 100)
        lines.append(f"{(start + dt.timedelta(days=i)).isoformat()},{label} {1000 + i},{amount}")
    return ("\n".join(lines) + "\n").encode()


def upload(name: str, data: bytes, content_type: str = "text/csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)
