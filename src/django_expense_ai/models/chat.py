"""Chat quick entry: messages and the @mentions of the transactions they create."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import MentionType, MessageStatus, MessageType
from .querysets import MentionQuerySet, OwnedQuerySet


class ChatMessage(models.Model):
    """Stores messages from the WhatsApp-style chat interface for quick transaction entry.

    Links messages to their resulting transactions and tracks processing status.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="expense_ai_chat_messages"
    )
    related_transaction = models.ForeignKey(
        "Transaction", on_delete=models.SET_NULL, null=True, blank=True, related_name="chat_messages"
    )
    related_file = models.ForeignKey(
        "UploadedFile", on_delete=models.SET_NULL, null=True, blank=True, related_name="chat_messages"
    )
    conversation_id = models.CharField(
        max_length=255,
        db_index=True,
        help_text=_("Groups messages into conversations (e.g., 'main', 'budget-planning')"),
    )
    message_type = models.CharField(max_length=20, choices=MessageType.choices, default=MessageType.USER)
    content = models.TextField(help_text=_("The actual message text"))
    metadata = models.JSONField(
        default=dict, help_text=_("Stores parsed data, attachments, mentions, AI confidence scores")
    )
    status = models.CharField(max_length=20, choices=MessageStatus.choices, default=MessageStatus.DRAFT)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = OwnedQuerySet.as_manager()

    class Meta:
        db_table = "finance_chat_messages"
        ordering = ["-created_at"]
        indexes = [
            # The spec lists (user, conversation_id, created_at) and the same
            # with -created_at; a b-tree serves both directions, so one is kept.
            models.Index(fields=["user", "conversation_id", "-created_at"], name="fin_chat_user_conv_idx"),
            models.Index(fields=["user", "status", "-created_at"], name="fin_chat_user_status_idx"),
            models.Index(fields=["created_at"], name="fin_chat_created_idx"),
        ]

    def __str__(self) -> str:
        # The spec's shape (email - conversation - time), the time in the
        # site's zone to the minute: no microseconds or UTC offset in a label.
        email = getattr(self.user, "email", "") or getattr(self.user, "get_username", lambda: "")()
        when = self.created_at
        if when is None:
            stamp = "unsaved"
        else:
            if timezone.is_aware(when):
                when = timezone.localtime(when)
            stamp = when.strftime("%Y-%m-%d %H:%M")
        return f"{email} - {self.conversation_id} - {stamp}"


class TransactionMention(models.Model):
    """Records @ mentions in transactions created via chat interface."""

    transaction = models.ForeignKey("Transaction", on_delete=models.CASCADE, related_name="mentions")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="expense_ai_mentions_created"
    )
    mention_type = models.CharField(max_length=20, choices=MentionType.choices)
    mentioned_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="expense_ai_transaction_mentions",
    )
    mentioned_group = models.ForeignKey(
        "Group", on_delete=models.CASCADE, null=True, blank=True, related_name="transaction_mentions"
    )
    mentioned_text = models.CharField(max_length=100, help_text=_("Original mention text (e.g., '@john')"))
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MentionQuerySet.as_manager()

    class Meta:
        db_table = "finance_transaction_mentions"
        ordering = ["transaction", "created_at"]
        indexes = [
            # (transaction) alone duplicates the foreign key's own index.
            models.Index(fields=["mention_type", "mentioned_user"], name="fin_mention_type_user_idx"),
            models.Index(fields=["mention_type", "mentioned_group"], name="fin_mention_type_group_idx"),
            models.Index(fields=["transaction", "mention_type"], name="fin_mention_tx_type_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.mentioned_text} in Transaction #{self.transaction_id}"
