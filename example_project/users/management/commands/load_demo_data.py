"""Load demo data that shows every page: users, accounts, a group, transactions and splits, chat
history with mentions and splits, two imported (overlapping) statements with the merge they
suggest, and a budget with spending against it. Safe to run twice."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from django_expense_ai.budgets import apply_template
from django_expense_ai.chat import submit_message
from django_expense_ai.models import (
    Account,
    BudgetTemplate,
    Category,
    Group,
    GroupMember,
    StatementMerge,
    StatementPassword,
    Transaction,
    TransactionSplit,
)
from django_expense_ai.models.swappable import currency_for_code, preferences_for
from django_expense_ai.statements import import_statement

#: What the demo types into the chat (mentions, a group split, a category, income, a question).
CHAT = (
    "@alice $50 lunch at pizza place",
    "@Flatmates $96 groceries #groceries",
    "$4.50 coffee #dining",
    "got paid $4200 salary",
    "@bob $36 cinema tickets",
    "@carol taxi 20 or 30",  # unsure: it becomes a suggestion to confirm or reject
)


def statement_csv(today: dt.date, *, days: int, skip_last: int = 0) -> bytes:
    """A bank's CSV export of the checking account over the last ``days`` days (made here, no file)."""
    lines = ["Date,Description,Amount"]
    shops = ("GROCERY MARKET", "CITY TRANSIT", "CORNER CAFE", "PHARMACY", "BOOKSHOP", "FUEL STATION")
    for i in range(days - skip_last):
        day = today - dt.timedelta(days=days - i)
        amount = -(Decimal(7 + (i * 13) % 60) + Decimal((i * 29) % 100) / 100)
        lines.append(f"{day.isoformat()},{shops[i % len(shops)]} {1000 + i},{amount}")
    return ("\n".join(lines) + "\n").encode()


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
        remembered = StatementPassword(user=demo, account=checking, password_hint="Example Bank: date of birth",
                                       file_pattern=r"estatement_\d+\.pdf", is_default=True)
        remembered.set_password("01011990")
        remembered.save()
        self._chat(demo)
        self._statements(demo, checking, today)
        self._budget(demo, today)
        self.stdout.write(self.style.SUCCESS("Loaded demo data: users demo, alice, bob (password: demo)."))

    def _chat(self, demo):
        for text in CHAT:
            submit_message(demo, text)

    def _statements(self, demo, checking, today):
        # The same month twice: the bank's full export and an earlier, shorter download of it.
        # The second import skips the rows already in the ledger and suggests merging the two files.
        import_statement(demo, statement_csv(today, days=24), filename="checking_export_full.csv", account=checking)
        import_statement(demo, statement_csv(today, days=24, skip_last=3), filename="checking_export.csv",
                         account=checking)
        if not StatementMerge.objects.filter(merged_by=demo).exists():
            self.stdout.write(self.style.WARNING("No merge was suggested for the two demo statements."))

    def _budget(self, demo, today):
        template = BudgetTemplate.objects.filter(is_system=True, is_active=True).order_by("name").first()
        if template is None:
            self.stdout.write(self.style.WARNING("No system budget template: run migrate first."))
            return
        apply_template(template, demo, monthly_income=Decimal("5200.00"), start_date=today - dt.timedelta(days=27),
                       name="Household budget")
