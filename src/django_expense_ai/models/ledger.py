"""The ledger: accounts, categories, groups, transactions and splits."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import swapper
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..exceptions import MoneyError
from ..money import AMOUNT_PLACES, format_money
from .choices import ExpenseClassification, SplitMethod, TransactionSource, is_excluded
from .querysets import (
    CategoryQuerySet,
    GroupQuerySet,
    OwnedQuerySet,
    SplitQuerySet,
    TransactionQuerySet,
)

#: Field limits for money columns: 11 integer digits, and ``money.AMOUNT_PLACES`` (4) decimals.
AMOUNT_DIGITS = 15


class Account(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="expense_ai_accounts"
    )
    name = models.CharField(max_length=200)
    institution = models.CharField(max_length=200, blank=True)
    number_mask = models.CharField(
        max_length=32, blank=True, help_text=_("Masked account number, e.g. ****1234")
    )
    currency = models.CharField(max_length=3, default="USD", help_text=_("ISO 4217 code"))
    is_default = models.BooleanField(default=False)
    bank_profile = models.JSONField(
        null=True,
        blank=True,
        help_text=_(
            "How to read this account's CSV exports (a bank profile as plain JSON), saved after an import; "
            "see statements.account_profiles."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = OwnedQuerySet.as_manager()

    class Meta:
        db_table = "finance_accounts"
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name}{' ' + self.number_mask if self.number_mask else ''}"


class Category(models.Model):
    """A spending category; ``user`` null marks a system default shared by all."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="expense_ai_categories",
    )
    key = models.SlugField(
        max_length=100, help_text=_("Stable key used by templates and imports, e.g. 'housing'")
    )
    name = models.CharField(max_length=100)
    parent = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="children")
    is_system = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CategoryQuerySet.as_manager()

    class Meta:
        db_table = "finance_categories"
        ordering = ["name"]
        verbose_name_plural = _("categories")
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="expense_ai_category_user_key"),
        ]

    def __str__(self) -> str:
        return self.name


class Group(models.Model):
    """People who share expenses."""

    name = models.CharField(max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="expense_ai_groups_created"
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="GroupMember", related_name="expense_ai_groups"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = GroupQuerySet.as_manager()

    class Meta:
        db_table = "finance_groups"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class GroupMember(models.Model):
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="expense_ai_memberships"
    )
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "finance_group_members"
        constraints = [models.UniqueConstraint(fields=["group", "user"], name="expense_ai_group_member_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.group_id}"


def _money_label(amount: Decimal | None, currency: str | None) -> str:
    # Labels (admin lists, breadcrumbs, autocomplete) show the currency's
    # minor units, never the column's four places.
    try:
        return format_money(amount, currency or "USD")
    except MoneyError:
        return f"{amount} {currency or ''}".strip()


class Transaction(models.Model):
    """One movement of money. ``amount`` is signed: negative is money out."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="expense_ai_transactions"
    )
    account = models.ForeignKey(
        Account, on_delete=models.SET_NULL, null=True, blank=True, related_name="transactions"
    )
    date = models.DateField()
    amount = models.DecimalField(max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_PLACES)
    currency = models.CharField(max_length=3, default="USD", help_text=_("ISO 4217 code"))
    description = models.CharField(max_length=500, blank=True)
    merchant = models.CharField(max_length=200, blank=True)
    notes = models.TextField(blank=True)
    category = models.ForeignKey(
        Category, on_delete=models.SET_NULL, null=True, blank=True, related_name="transactions"
    )
    group = models.ForeignKey(Group, on_delete=models.SET_NULL, null=True, blank=True, related_name="transactions")
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="expense_ai_paid_transactions",
    )
    source = models.CharField(max_length=20, choices=TransactionSource.choices, default=TransactionSource.MANUAL)
    uploaded_file = models.ForeignKey(
        "UploadedFile", on_delete=models.SET_NULL, null=True, blank=True, related_name="transactions"
    )
    bank_id = models.CharField(max_length=255, blank=True, help_text=_("The bank's own id (OFX FITID)"))
    import_fingerprint = models.CharField(
        max_length=64, blank=True, db_index=True, help_text=_("sha256 of account, date, amount, description")
    )
    # 1.0 flags the 2.0 data migration reads to classify old rows.
    is_reimbursable = models.BooleanField(default=False)
    is_recurring = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # 2.0 fields (the spec's "Add expense classification and chat integration")
    expense_classification = models.CharField(
        max_length=20,
        choices=ExpenseClassification.choices,
        default=ExpenseClassification.REGULAR_MONTHLY,
        db_default=ExpenseClassification.REGULAR_MONTHLY,
    )
    exclude_from_totals = models.BooleanField(
        default=False,
        db_default=False,
        help_text=_(
            "Auto-calculated based on classification; if True, excluded from regular expense totals"
        ),
    )
    exclusion_overridden = models.BooleanField(
        default=False,
        db_default=False,
        help_text=_("True when a person set exclude_from_totals by hand; saves then keep it."),
    )
    chat_message = models.ForeignKey(
        "ChatMessage",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="resulting_transactions",
        help_text=_("Link to the chat message that created this transaction"),
        # Indexed by fin_tx_chat_message_idx, built concurrently in the last
        # 2.0 step instead of inside the ALTER TABLE step (which locks writes).
        db_index=False,
    )

    objects = TransactionQuerySet.as_manager()

    class Meta:
        db_table = "finance_transactions"
        ordering = ["-date", "-id"]
        indexes = [
            models.Index(fields=["expense_classification"], name="fin_tx_classification_idx"),
            models.Index(fields=["user", "date", "expense_classification"], name="fin_tx_user_date_class_idx"),
            models.Index(fields=["user", "account", "date"], name="fin_tx_user_account_date_idx"),
            models.Index(fields=["user", "exclude_from_totals", "date"], name="fin_tx_user_excl_date_idx"),
            models.Index(fields=["chat_message"], name="fin_tx_chat_message_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.date} {_money_label(self.amount, self.currency)} {self.description[:40]}"

    def apply_exclusion_rule(self) -> None:
        """The spec's rule: ``exclude_from_totals`` follows the classification unless a person overrode it."""
        if not self.exclusion_overridden:
            self.exclude_from_totals = is_excluded(self.expense_classification)

    def save(self, *args: Any, **kwargs: Any) -> None:
        # The rule holds on every save (paths that insert without save() call it themselves).
        self.apply_exclusion_rule()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"expense_classification", "exclusion_overridden"} & set(update_fields):
            kwargs["update_fields"] = set(update_fields) | {"exclude_from_totals"}
        super().save(*args, **kwargs)


class TransactionSplit(models.Model):
    """A participant's share of a transaction (absolute value, in its currency)."""

    transaction = models.ForeignKey(Transaction, on_delete=models.CASCADE, related_name="splits")
    participant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="expense_ai_splits"
    )
    amount = models.DecimalField(max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_PLACES)
    is_settled = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    # 2.0 fields (the spec's "flexible split methods and multi-currency support")
    split_method = models.CharField(
        max_length=20,
        choices=SplitMethod.choices,
        default=SplitMethod.EQUAL,
        db_default=SplitMethod.EQUAL,
        help_text=_("Method used to calculate this split"),
    )
    split_value = models.DecimalField(
        max_digits=12,
        decimal_places=4,
        default=0,
        db_default=0,
        help_text=_("Stores percentage (e.g., 33.33) or shares (e.g., 2)"),
    )
    currency = models.ForeignKey(
        swapper.get_model_name("expense_ai", "CurrencyInfo"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        help_text=_("Currency for this split (supports multi-currency groups)"),
    )

    objects = SplitQuerySet.as_manager()

    class Meta:
        db_table = "finance_transaction_splits"
        ordering = ["transaction", "id"]
        constraints = [
            models.UniqueConstraint(fields=["transaction", "participant"], name="expense_ai_split_unique"),
        ]

    def __str__(self) -> str:
        # No query for the currency's code in a label: two places unless more are used.
        amount = self.amount
        if isinstance(amount, Decimal) and amount.is_finite():
            cents = amount.quantize(Decimal("0.01"))
            return f"{self.participant_id}: {format(cents if cents == amount else amount.normalize(), 'f')}"
        return f"{self.participant_id}: {amount}"
