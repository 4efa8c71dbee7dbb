"""Choices of the spec, as ``TextChoices`` classes code uses by name."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from ..conf import settings


class MessageType(models.TextChoices):
    USER = "user", _("User Message")
    SYSTEM = "system", _("System Response")
    SUGGESTION = "suggestion", _("Transaction Suggestion")


class MessageStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PROCESSING = "processing", _("Processing")
    COMPLETED = "completed", _("Completed")
    FAILED = "failed", _("Failed")


class ProcessingStage(models.TextChoices):
    UPLOAD = "upload", _("File Upload")
    PASSWORD_DECRYPT = "password_decrypt", _("Password Decryption")
    TEXT_EXTRACTION = "text_extraction", _("Text Extraction")
    PARSE_ATTEMPT = "parse_attempt", _("Parse Attempt")
    AI_PARSE = "ai_parse", _("AI Parsing")
    VALIDATION = "validation", _("Data Validation")
    DEDUPLICATION = "deduplication", _("Duplicate Detection")
    TRANSACTION_CREATION = "transaction_creation", _("Transaction Creation")
    COMPLETION = "completion", _("Process Completion")


class LogStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    RUNNING = "running", _("Running")
    SUCCESS = "success", _("Success")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Skipped")


class ParserType(models.TextChoices):
    SYSTEM = "system", _("System Parser")
    AI = "ai", _("AI Parser")
    HYBRID = "hybrid", _("Hybrid")


class MentionType(models.TextChoices):
    USER = "user", _("User Mention")
    GROUP = "group", _("Group Mention")
    CATEGORY = "category", _("Category Mention")
    TAG = "tag", _("Tag Mention")


class MergeStrategy(models.TextChoices):
    KEEP_PRIMARY = "keep_primary", _("Keep Primary Only")
    MERGE_ALL = "merge_all", _("Merge All Transactions")
    MANUAL = "manual", _("Manual Review")


class MergeStatus(models.TextChoices):
    SUGGESTED = "suggested", _("Suggested by System")
    APPROVED = "approved", _("Approved by User")
    REJECTED = "rejected", _("Rejected by User")
    COMPLETED = "completed", _("Merge Completed")


class ExpenseClassification(models.TextChoices):
    REGULAR_MONTHLY = "regular_monthly", _("Regular Monthly Expense")
    CHARITY = "charity", _("Charity Donation")
    FAMILY_SUPPORT = "family_support", _("Family Support")
    REIMBURSABLE = "reimbursable", _("Reimbursable Expense")
    ONE_TIME = "one_time", _("One-time Purchase")
    IRREGULAR = "irregular", _("Irregular Expense")


class SplitMethod(models.TextChoices):
    EQUAL = "equal", _("Equal Split")
    PERCENTAGE = "percentage", _("Percentage-based")
    CUSTOM_AMOUNT = "custom_amount", _("Custom Amount")
    SHARES = "shares", _("Share-based")


class BudgetType(models.TextChoices):
    MANUAL = "manual", _("Manual Entry")
    TEMPLATE = "template", _("From Template")
    AI_SUGGESTED = "ai_suggested", _("AI Suggested")


class ParserProvider(models.TextChoices):
    """The spec's providers; plugins add more (see ``providers.registry``)."""

    SYSTEM = "system", _("System Parser")
    OPENAI = "openai", _("OpenAI")
    CLAUDE = "claude", _("Anthropic Claude")
    GEMINI = "gemini", _("Google Gemini")


class QuickAddMode(models.TextChoices):
    NORMAL = "normal", _("Normal - Full parsing")
    AI = "ai", _("AI Mode - Enhanced understanding")
    SHORTCUT = "shortcut", _("Shortcut Mode - @person $amount format")


class ChatParserChoice(models.TextChoices):
    SYSTEM = "system", _("System")
    AI = "ai", _("AI")


class TransactionSource(models.TextChoices):
    MANUAL = "manual", _("Manual")
    CHAT = "chat", _("Chat")
    STATEMENT = "statement", _("Statement import")


class FileStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    QUEUED = "queued", _("Queued")
    PROCESSING = "processing", _("Processing")
    AWAITING_REVIEW = "awaiting_review", _("Awaiting review")
    COMPLETED = "completed", _("Completed")
    FAILED = "failed", _("Failed")


class BudgetPeriod(models.TextChoices):
    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Quarterly")
    YEARLY = "yearly", _("Yearly")
    CUSTOM = "custom", _("Custom")


# Which classifications count in regular totals: the EXCLUDED_CLASSIFICATIONS setting (by
# default charity, family support, reimbursable and one-time purchases are left out).
def excluded_classifications() -> frozenset[str]:
    """The classifications excluded from regular totals (from settings)."""
    return frozenset(settings.EXCLUDED_CLASSIFICATIONS)


def is_excluded(classification: str) -> bool:
    """True when a transaction of ``classification`` is left out of regular totals."""
    return classification in excluded_classifications()
