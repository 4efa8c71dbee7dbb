from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, URLPattern, path, reverse

from ..ledger import writer as ledger
from ..models import (
    Account,
    Category,
    ChatMessage,
    Group,
    GroupMember,
    Transaction,
    TransactionMention,
    TransactionSplit,
)
from .base import ScopedAdmin, ScopedInline, acting_user, money_display

if TYPE_CHECKING:
    from ..types import AuthenticatedRequest


def transaction_kind(tx: Transaction) -> str:
    """What a transaction is, in words: money in is income, never an expense class.

    :returns: ``"Income"`` for a positive amount, else the expense
        classification's label (``"Regular Monthly Expense"``, ...).
    """
    if tx.amount is not None and tx.amount > 0:
        return "Income"
    return tx.get_expense_classification_display()


@admin.register(Account)
class AccountAdmin(ScopedAdmin):
    list_display = ("name", "institution", "number_mask", "currency", "is_default", "user")
    list_filter = ("currency", "is_default")
    search_fields = ("name", "institution", "number_mask")
    raw_id_fields = ("user",)
    # Saved by statements.account_profiles (validated there); shown, not hand-edited.
    readonly_fields = ("bank_profile",)


@admin.register(Category)
class CategoryAdmin(ScopedAdmin):
    list_display = ("name", "key", "is_system", "user", "parent")
    list_filter = ("is_system",)
    search_fields = ("name", "key")
    raw_id_fields = ("user",)
    autocomplete_fields = ("parent",)


class GroupMemberInline(ScopedInline):
    model = GroupMember
    raw_id_fields = ("user",)
    username_fields = ("user",)
    extra = 0


@admin.register(Group)
class GroupAdmin(ScopedAdmin):
    owner_field = "created_by"
    list_display = ("name", "created_by", "created_at")
    search_fields = ("name",)
    raw_id_fields = ("created_by",)
    inlines = [GroupMemberInline]


class SplitInline(ScopedInline):
    model = TransactionSplit
    raw_id_fields = ("participant", "currency")
    fields = ("participant", "amount", "split_method", "split_value", "currency", "is_settled")
    extra = 0


class MentionInline(ScopedInline):
    model = TransactionMention
    raw_id_fields = ("created_by", "mentioned_user")
    autocomplete_fields = ("mentioned_group",)
    extra = 0


@admin.register(Transaction)
class TransactionAdmin(ScopedAdmin):
    list_display = (
        "date", "description", "amount_display", "kind",
        "exclude_from_totals", "source", "account", "user",
    )
    list_filter = ("expense_classification", "exclude_from_totals", "source", "currency", "date")
    search_fields = ("description", "merchant", "notes", "bank_id")
    date_hierarchy = "date"
    raw_id_fields = ("user", "paid_by")
    autocomplete_fields = ("account", "category", "group", "uploaded_file", "chat_message")
    readonly_fields = ("import_fingerprint", "created_at", "updated_at")
    inlines = [SplitInline, MentionInline]

    def get_urls(self) -> list[URLPattern]:
        info = self.opts.app_label, self.opts.model_name
        return [
            path("categorize-accuracy/", self.admin_site.admin_view(self.categorize_accuracy_view),
                 name="%s_%s_categorize_accuracy" % info),
            *super().get_urls(),
        ]

    def categorize_accuracy_view(self, request: AuthenticatedRequest) -> TemplateResponse:
        """How well history-based categories do on the acting user's own last N edits (``?last=N``)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        from ..categorize.services import accuracy_report

        try:
            last = max(1, min(int(request.GET.get("last", 50)), 1000))
        except ValueError:
            last = 50
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Categories from your history: accuracy",
            "last": last,
            "report": accuracy_report(request.user, last=last),
        }
        return TemplateResponse(request, "admin/expense_ai/transaction/categorize_accuracy.html", context)
    @admin.display(description="amount", ordering="amount")
    def amount_display(self, obj: Transaction) -> str:
        return money_display(obj.amount, obj.currency)

    @admin.display(description="kind", ordering="expense_classification")
    def kind(self, obj: Transaction) -> str:
        return transaction_kind(obj)

    # Every write goes through the ledger's writer: its ownership, classification
    # hook, exclusion rule and cache invalidation hold for the admin too.
    def save_model(self, request: HttpRequest, obj: Transaction, form: Any, change: bool) -> None:
        if change:
            concrete = {f.name for f in obj._meta.concrete_fields}
            ledger.update_transaction(obj, **{name: getattr(obj, name) for name in form.changed_data
                                              if name in concrete})
            return
        self.assign_owner(request, obj, change)
        # A classification chosen in the form is kept; left at its default, the hook is asked.
        ledger.create_transactions(obj.user, [obj], one_by_one=True,
                                   classify="expense_classification" not in form.changed_data)

    def delete_model(self, request: HttpRequest, obj: Transaction) -> None:
        ledger.delete_transactions(acting_user(request), [obj])

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Transaction]) -> None:
        ledger.delete_transactions(acting_user(request), self.deletable(request, queryset))

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        # Editing the amount re-derives the split parts from their stored
        # methods and values, so the parts keep adding up to the total.
        if change and {"amount", "currency"} & set(form.changed_data) and form.instance.splits.exists():
            from ..ledger.splits.services import rederive_splits

            rederive_splits(form.instance)


@admin.register(TransactionSplit)
class TransactionSplitAdmin(ScopedAdmin):
    """Splits of the user's own transactions; the participant must be someone they may split with."""

    owner_field = None
    list_display = ("transaction", "participant", "amount_display", "split_method", "split_value_display")
    list_filter = ("split_method", "is_settled")
    raw_id_fields = ("participant", "currency")
    autocomplete_fields = ("transaction",)
    list_select_related = ("transaction", "participant", "currency")

    @admin.display(description="amount", ordering="amount")
    def amount_display(self, obj: TransactionSplit) -> str:
        currency = obj.currency if obj.currency_id else obj.transaction.currency
        return money_display(obj.amount, currency)

    @admin.display(description="split value", ordering="split_value")
    def split_value_display(self, obj: TransactionSplit) -> str:
        # A percentage or a number of shares: the places it uses, not the column's four.
        value = obj.split_value
        if value is None:
            return "-"
        return format(value.normalize() if value != value.to_integral() else value.quantize(1), "f")


@admin.register(TransactionMention)
class TransactionMentionAdmin(ScopedAdmin):
    owner_field = "created_by"
    list_display = ("mentioned_text", "mention_type", "transaction", "mentioned_user", "mentioned_group")
    list_filter = ("mention_type",)
    search_fields = ("mentioned_text",)
    raw_id_fields = ("created_by", "mentioned_user")
    autocomplete_fields = ("transaction", "mentioned_group")


def chat_page_url() -> str | None:
    """The chat page's address, or ``None`` when the host does not serve the pages."""
    try:
        return reverse("expense_ai:chat")
    except NoReverseMatch:
        return None


@admin.register(ChatMessage)
class ChatMessageAdmin(ScopedAdmin):
    """The chat log, read-only: messages are written by chatting, never by hand.

    A message is the user's text *and* what the chat service did with it (the
    transaction, splits and mentions it created, the reply). A row typed
    here would be a message nothing answered, so the admin offers no "add"
    and no edit; it points at the chat page, where a message goes through
    :func:`django_expense_ai.chat.submit_message`. Deleting stays possible
    (a user's own history, or a superuser's clean-up); the transactions a
    message created are kept and edited under Transactions.
    """

    list_display = ("created_at", "user", "conversation_id", "message_type", "status", "short_content")
    list_filter = ("message_type", "status")
    search_fields = ("content", "conversation_id")
    raw_id_fields = ("user",)
    autocomplete_fields = ("related_transaction", "related_file")
    readonly_fields = ("created_at", "updated_at")
    change_list_template = "admin/expense_ai/chatmessage/change_list.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ChatMessage | None = None) -> bool:
        return False

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        extra_context = {**(extra_context or {}), "chat_url": chat_page_url()}
        return super().changelist_view(request, extra_context)

    @admin.display(description="content")
    def short_content(self, obj: ChatMessage) -> str:
        # The admin escapes text; content is data, never markup.
        return obj.content[:80]


@admin.register(GroupMember)
class GroupMemberAdmin(ScopedAdmin):
    """A group's creator adds and removes members; a member sees their membership and may leave."""

    owner_field = None
    list_display = ("group", "user", "joined_at")
    raw_id_fields = ("user",)
    username_fields = ("user",)
    autocomplete_fields = ("group",)
