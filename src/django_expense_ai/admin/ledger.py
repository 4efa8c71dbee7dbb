from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path

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
from .base import ScopedAdmin, ScopedInline


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
        "date", "description", "amount", "currency", "expense_classification",
        "exclude_from_totals", "source", "account", "user",
    )
    list_filter = ("expense_classification", "exclude_from_totals", "source", "currency", "date")
    search_fields = ("description", "merchant", "notes", "bank_id")
    date_hierarchy = "date"
    raw_id_fields = ("user", "paid_by")
    autocomplete_fields = ("account", "category", "group", "uploaded_file", "chat_message")
    readonly_fields = ("import_fingerprint", "created_at", "updated_at")
    inlines = [SplitInline, MentionInline]

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path("categorize-accuracy/", self.admin_site.admin_view(self.categorize_accuracy_view),
                 name="%s_%s_categorize_accuracy" % info),
            *super().get_urls(),
        ]

    def categorize_accuracy_view(self, request):
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

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # Editing the amount re-derives the split parts from their stored
        # methods and values, so the parts keep adding up to the total.
        if change and {"amount", "currency"} & set(form.changed_data) and form.instance.splits.exists():
            from ..splits.services import rederive_splits

            rederive_splits(form.instance)


@admin.register(TransactionSplit)
class TransactionSplitAdmin(ScopedAdmin):
    """Splits of the user's own transactions; the participant must be someone they may split with."""

    owner_field = None
    list_display = ("transaction", "participant", "amount", "split_method", "split_value", "currency")
    list_filter = ("split_method", "is_settled")
    raw_id_fields = ("participant", "currency")
    autocomplete_fields = ("transaction",)


@admin.register(TransactionMention)
class TransactionMentionAdmin(ScopedAdmin):
    owner_field = "created_by"
    list_display = ("mentioned_text", "mention_type", "transaction", "mentioned_user", "mentioned_group")
    list_filter = ("mention_type",)
    search_fields = ("mentioned_text",)
    raw_id_fields = ("created_by", "mentioned_user")
    autocomplete_fields = ("transaction", "mentioned_group")


@admin.register(ChatMessage)
class ChatMessageAdmin(ScopedAdmin):
    list_display = ("created_at", "user", "conversation_id", "message_type", "status", "short_content")
    list_filter = ("message_type", "status")
    search_fields = ("content", "conversation_id")
    raw_id_fields = ("user",)
    autocomplete_fields = ("related_transaction", "related_file")
    readonly_fields = ("created_at", "updated_at")

    @admin.display(description="content")
    def short_content(self, obj):
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
