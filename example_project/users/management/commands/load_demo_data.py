"""Load demo users, accounts, a group, categories, transactions and splits. Safe to run twice."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from django_expense_ai.models import Account, Category, Group, GroupMember, Transaction, TransactionSplit
from django_expense_ai.swappable import currency_for_code, preferences_for


class Command(BaseCommand):
    help = "Load demo data for the example project (idempotent)."

    @transaction.atomic
    def handle(self, *args, **options):
        User = get_user_model()
        demo, created = User.objects.get_or_create(
            username="demo", defaults={"first_name": "Demo", "email": "demo@example.com",
                                       "is_staff": True, "is_superuser": True})
        if created:
            demo.set_password("demo")
            demo.save()
        people = {}
        for name in ("alice", "bob"):
            person, made = User.objects.get_or_create(
                username=name, defaults={"first_name": name.title(), "email": f"{name}@example.com"})
            if made:
                person.set_password("demo")
                person.save()
            people[name] = person
        preferences_for(demo)
        if Transaction.objects.filter(user=demo).exists():
            self.stdout.write("Demo data already loaded.")
            return
        checking = Account.objects.create(user=demo, name="Checking", institution="Example Bank",
                                          number_mask="****1234", currency="USD", is_default=True)
        Account.objects.create(user=demo, name="Euro card", institution="Example Bank",
                               number_mask="****9876", currency="EUR")
        flat = Group.objects.create(name="Flatmates", created_by=demo)
        for member in (demo, *people.values()):
            GroupMember.objects.create(group=flat, user=member)
        cats = {c.key: c for c in Category.objects.filter(user__isnull=True)}
        today = dt.date.today()
        rows = [
            (0, "-1450.00", "Rent November", "housing", "regular_monthly"),
            (1, "-82.35", "Grocery store", "groceries", "regular_monthly"),
            (2, "-50.00", "Lunch at pizza place", "dining", "regular_monthly"),
            (3, "-100.00", "Red Cross donation", "charity", "charity"),
            (4, "-250.00", "Conference hotel", "travel", "reimbursable"),
            (5, "4200.00", "Salary", "income", "regular_monthly"),
            (6, "-19.99", "Spotify", "subscriptions", "regular_monthly"),
            (9, "-899.00", "New laptop", "shopping", "one_time"),
        ]
        for days, amount, text, key, classification in rows:
            Transaction.objects.create(
                user=demo, account=checking, date=today - dt.timedelta(days=days), amount=Decimal(amount),
                currency="USD", description=text, category=cats.get(key),
                expense_classification=classification)
        dinner = Transaction.objects.create(
            user=demo, account=checking, date=today - dt.timedelta(days=1), amount=Decimal("-90.00"),
            currency="USD", description="Dinner with flatmates", category=cats.get("dining"),
            group=flat, paid_by=demo)
        usd = currency_for_code("USD")
        for member in (demo, *people.values()):
            TransactionSplit.objects.create(transaction=dinner, participant=member, amount=Decimal("30.00"),
                                            split_method="equal", currency=usd)
        self.stdout.write(self.style.SUCCESS("Loaded demo data: users demo, alice, bob (password: demo)."))
