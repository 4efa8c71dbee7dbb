"""Uploaded statement files, their passwords, processing logs and merges."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from .. import crypto
from ..conf import settings as expense_settings
from ..validators import validate_file_pattern
from .choices import (
    FileStatus,
    LogStatus,
    MergeStatus,
    MergeStrategy,
    ParserType,
    ProcessingStage,
)
from .querysets import LogQuerySet, MergeQuerySet, OwnedQuerySet
from .storage import StatementStorage, clean_display_name, random_stored_name

if TYPE_CHECKING:
    from .ledger import Transaction

_STATEMENT_STORAGE = StatementStorage()


def statement_storage() -> StatementStorage:
    """The storage of statement files (see :mod:`django_expense_ai.models.storage`).

    A stand-in that asks the settings at every call: ``EXPENSE_AI["STORAGE_ALIAS"]``
    in ``STORAGES``, or by default the library's private folder, which has no URL.
    """
    return _STATEMENT_STORAGE


def statement_upload_to(instance: models.Model, filename: str) -> str:
    """An unguessable name: the user's name for the file is kept only in ``filename``.

    Only an extension in :data:`~django_expense_ai.models.storage.STORED_SUFFIXES`
    survives; the pipeline passes the one of the detected format.
    """
    return random_stored_name(filename, expense_settings.UPLOAD_PREFIX)


def default_processing_version() -> str:
    return "1.0"


class UploadedFile(models.Model):
    """A statement file a user uploaded, and what became of it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="expense_ai_uploaded_files"
    )
    account = models.ForeignKey(
        "Account", on_delete=models.SET_NULL, null=True, blank=True, related_name="uploaded_files"
    )
    file = models.FileField(upload_to=statement_upload_to, storage=statement_storage, max_length=255, blank=True)
    filename = models.CharField(max_length=255, help_text=_("The name the user gave the file"))
    size = models.BigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True, db_index=True)
    content_type = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=20, choices=FileStatus.choices, default=FileStatus.PENDING)
    error_stage = models.CharField(max_length=30, blank=True)
    error_message = models.TextField(blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # 2.0 fields (the spec's "Enhanced statement management features")
    is_password_protected = models.BooleanField(
        default=False, db_default=False, help_text=_("Whether this file required a password to open")
    )
    used_password = models.ForeignKey(
        "StatementPassword",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="unlocked_files",
        help_text=_("Password that successfully unlocked this file"),
    )
    raw_text_extracted = models.TextField(
        blank=True, default="", db_default="", help_text=_("Raw text extracted from file (for comparison view)")
    )
    parsed_json = models.JSONField(
        null=True, blank=True, help_text=_("Structured parsed data (for comparison view)")
    )
    duplicate_of = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="duplicates",
        help_text=_("Original file if this is a duplicate"),
    )
    duplicate_confidence = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Confidence score (0-100) for duplicate detection"),
    )
    processing_version = models.CharField(
        max_length=20,
        default=default_processing_version,
        db_default="1.0",
        help_text=_("Version of parser used (for debugging)"),
    )

    objects = OwnedQuerySet.as_manager()

    # Not columns: what an import run produced, set on the instance import_statement, reprocess
    # and commit_review return (absent on a file read from the database).
    created_transactions: list[Transaction]
    skipped_duplicates: list[dict[str, Any]]
    rows_found: int

    class Meta:
        db_table = "finance_uploaded_files"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "sha256"], name="fin_file_user_sha_idx")]

    def __str__(self) -> str:
        return self.filename

    def save(self, *args: Any, **kwargs: Any) -> None:
        # The name is shown in pages, mails and download headers: no control or bidi characters.
        self.filename = clean_display_name(self.filename)
        super().save(*args, **kwargs)


class StatementPassword(models.Model):
    """Stores encrypted passwords for unlocking password-protected PDF statements.

    Supports account-specific and pattern-based password matching.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="expense_ai_statement_passwords"
    )
    account = models.ForeignKey(
        "Account",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="statement_passwords",
        help_text=_("Optional: Link password to specific account"),
    )
    encrypted_password = models.BinaryField(
        help_text=_("Password encrypted using Fernet symmetric encryption")
    )
    password_hint = models.CharField(
        max_length=255, blank=True, help_text=_("User-provided hint (not the actual password)")
    )
    file_pattern = models.CharField(
        max_length=255,
        blank=True,
        help_text=_("Regex pattern for filename matching (e.g., 'hdfc_.*\\.pdf')"),
    )
    is_default = models.BooleanField(default=False, help_text=_("Default password to try first for this account"))
    last_used = models.DateTimeField(null=True, blank=True)
    success_count = models.IntegerField(default=0, help_text=_("Number of times this password worked"))
    # The account id (0 for the global password) when this row is the default,
    # else NULL: a plain unique constraint with the user then allows one default
    # per (user, account) on every database, global included.
    default_scope = models.GeneratedField(
        expression=models.Case(
            models.When(is_default=True, then=Coalesce(models.F("account_id"), models.Value(0))),
            default=None,
            output_field=models.BigIntegerField(),
        ),
        output_field=models.BigIntegerField(null=True),
        db_persist=True,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = OwnedQuerySet.as_manager()

    class Meta:
        db_table = "finance_statement_passwords"
        ordering = [
            "-is_default",
            "-success_count",
            models.F("last_used").desc(nulls_last=True),
        ]
        indexes = [
            models.Index(fields=["user", "account"], name="fin_pw_user_account_idx"),
            models.Index(fields=["user", "is_default"], name="fin_pw_user_default_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["user", "default_scope"], name="unique_default_per_account"),
        ]

    @sensitive_variables("plain_password")
    def set_password(self, plain_password: str) -> None:
        """Encrypt and store password."""
        self.encrypted_password = crypto.encrypt(plain_password)

    @sensitive_variables()
    def get_password(self) -> str:
        """Decrypt and return password. Raises DecryptionError."""
        return crypto.decrypt(
            self.encrypted_password, model=self._meta.label, pk=self.pk, field="encrypted_password"
        )

    def clean(self) -> None:
        super().clean()
        if self.file_pattern:
            try:
                validate_file_pattern(self.file_pattern)
            except ValidationError as err:
                raise ValidationError({"file_pattern": err.messages}) from err
        if self.is_default:
            clash = StatementPassword.objects.filter(
                user_id=self.user_id, account=self.account_id, is_default=True
            ).exclude(pk=self.pk)
            if clash.exists():
                raise ValidationError(
                    {"is_default": _("This account already has a default password; unset it first.")}
                )

    def __str__(self) -> str:
        return f"{self.account or 'Global'} - {self.password_hint or 'password'}"

    def __repr__(self) -> str:
        return f"<StatementPassword #{self.pk} user={self.user_id} account={self.account_id}>"


class StatementProcessingLog(models.Model):
    """Tracks every stage of statement file processing for debugging and audit purposes."""

    uploaded_file = models.ForeignKey(UploadedFile, on_delete=models.CASCADE, related_name="processing_logs")
    processing_stage = models.CharField(max_length=30, choices=ProcessingStage.choices)
    status = models.CharField(max_length=20, choices=LogStatus.choices, default=LogStatus.PENDING)
    parser_type = models.CharField(max_length=20, choices=ParserType.choices, blank=True)
    ai_provider = models.CharField(max_length=50, blank=True, help_text=_("e.g., 'openai', 'claude', 'gemini'"))
    details = models.JSONField(
        default=dict, help_text=_("Parser output, extracted data, errors, confidence scores, etc.")
    )
    execution_time_ms = models.IntegerField(null=True, help_text=_("Execution time in milliseconds"))
    created_at = models.DateTimeField(auto_now_add=True)

    objects = LogQuerySet.as_manager()

    class Meta:
        db_table = "finance_statement_processing_logs"
        ordering = ["uploaded_file", "created_at"]
        indexes = [
            models.Index(fields=["uploaded_file", "status"], name="fin_log_file_status_idx"),
            models.Index(fields=["created_at"], name="fin_log_created_idx"),
            models.Index(
                fields=["uploaded_file", "processing_stage", "status"], name="fin_log_file_stage_status_idx"
            ),
            models.Index(fields=["uploaded_file", "-created_at"], name="fin_log_file_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.uploaded_file.filename} - {self.processing_stage} - {self.status}"


class StatementMerge(models.Model):
    """Tracks detected duplicate statements and their merge status."""

    primary_file = models.ForeignKey(UploadedFile, on_delete=models.CASCADE, related_name="merge_as_primary")
    duplicate_files = models.ManyToManyField(
        UploadedFile, related_name="merge_as_duplicate", help_text=_("Files identified as duplicates")
    )
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="expense_ai_statement_merges"
    )
    merge_strategy = models.CharField(max_length=20, choices=MergeStrategy.choices, default=MergeStrategy.MANUAL)
    status = models.CharField(max_length=20, choices=MergeStatus.choices, default=MergeStatus.SUGGESTED)
    similarity_score = models.DecimalField(max_digits=5, decimal_places=2, help_text=_("0-100 similarity score"))
    details = models.JSONField(
        default=dict, blank=True, help_text=_("Why: matched rows, unmatched rows, each part of the score")
    )
    merged_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = MergeQuerySet.as_manager()

    class Meta:
        db_table = "finance_statement_merges"
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["primary_file", "status"], name="fin_merge_primary_status_idx"),
            models.Index(fields=["merged_by", "status"], name="fin_merge_by_status_idx"),
            models.Index(fields=["created_at"], name="fin_merge_created_idx"),
            models.Index(fields=["merged_by", "-created_at"], name="fin_merge_by_created_idx"),
            models.Index(fields=["status", "-similarity_score"], name="fin_merge_status_score_idx"),
        ]

    def __str__(self) -> str:
        return f"Merge: {self.primary_file.filename} ({self.status})"
