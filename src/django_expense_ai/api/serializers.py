"""Serializers: they validate and shape data; writes go through the services (views call them)."""

from __future__ import annotations

from typing import Any

from django.db import models
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..models import (
    Account,
    Budget,
    BudgetTemplate,
    Category,
    ChatMessage,
    ExpenseClassification,
    Group,
    GroupMember,
    MergeStrategy,
    ParserType,
    SplitMethod,
    StatementMerge,
    StatementPassword,
    StatementProcessingLog,
    Transaction,
    TransactionMention,
    TransactionSplit,
    UploadedFile,
)
from ..models.choices import FileStatus
from ..models.swappable import get_ai_settings_model, get_user_preferences_model
from ..statements.review import BULK_CHOICES as REVIEW_BULK_CHOICES
from ..statements.review import VERDICTS as REVIEW_VERDICTS
from ..types import UserLike
from .fields import DecimalStringField, IdField, MoneyField, UserScopedRelatedField, WriteOnlySecretField


class ModelSerializer(serializers.ModelSerializer):
    """Model decimals are always strings, whatever the host's ``COERCE_DECIMAL_TO_STRING``."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DecimalField: DecimalStringField,
    }


def _username(user: UserLike | None) -> str:
    return str(getattr(user, user.USERNAME_FIELD, "")) if user is not None else ""


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk", read_only=True)
    username = serializers.SerializerMethodField()

    def get_username(self, obj: Any) -> str:
        return _username(obj)


# -- ledger ---------------------------------------------------------------------------


class AccountSerializer(ModelSerializer):
    class Meta:
        model = Account
        fields = ["id", "name", "institution", "number_mask", "currency", "is_default", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]


class CategorySerializer(ModelSerializer):
    parent = UserScopedRelatedField(Category, allow_null=True, required=False)  # type: ignore[assignment]  # a declared field, which DRF's metaclass moves off the class
    is_system = serializers.BooleanField(read_only=True, help_text="System categories are read-only.")

    class Meta:
        model = Category
        fields = ["id", "key", "name", "parent", "is_system", "created_at"]
        read_only_fields = ["created_at"]
        # Uniqueness is checked by the service (a user's key vs system keys).
        validators: list = []


class GroupMemberSerializer(ModelSerializer):
    user = PersonSerializer(read_only=True)

    class Meta:
        model = GroupMember
        fields = ["user", "joined_at"]


class GroupSerializer(ModelSerializer):
    created_by = PersonSerializer(read_only=True)
    members = GroupMemberSerializer(source="memberships", many=True, read_only=True)

    class Meta:
        model = Group
        fields = ["id", "name", "created_by", "members", "created_at"]
        read_only_fields = ["created_at"]


class AddMemberSerializer(serializers.Serializer):
    # By exact username, never by id: ids could be walked to learn the site's users.
    username = serializers.CharField(max_length=150, help_text="The exact username of the person to add.")


class SplitSerializer(ModelSerializer):
    participant = PersonSerializer(read_only=True)
    amount = MoneyField(read_only=True, currency_attr="transaction.currency",
                        help_text="The participant's share (absolute value) in the transaction's currency.")
    split_value = DecimalStringField(max_digits=12, decimal_places=4, read_only=True,
                                           help_text="Percentage, share count or custom amount entered.")

    class Meta:
        model = TransactionSplit
        fields = ["id", "participant", "amount", "split_method", "split_value", "is_settled"]


class SplitInputSerializer(serializers.Serializer):
    method = serializers.ChoiceField(choices=SplitMethod.choices)
    participants = serializers.ListField(child=IdField(), min_length=1,
                                         help_text="User ids, in order; values line up with them.")
    values = serializers.ListField(
        child=DecimalStringField(max_digits=15, decimal_places=4),
        required=False, allow_null=True,
        help_text="Percentages, share counts or custom amounts (decimal strings); not for equal.",
    )


class MentionSerializer(ModelSerializer):
    class Meta:
        model = TransactionMention
        fields = ["id", "mention_type", "mentioned_user", "mentioned_group", "mentioned_text", "created_at"]
        read_only_fields = fields


class TransactionSerializer(ModelSerializer):
    amount = MoneyField(help_text="Signed: negative is money out. Decimal string, currency's minor units.")
    currency = serializers.CharField(max_length=3, required=False, help_text="ISO 4217 code.")
    account = UserScopedRelatedField(Account, allow_null=True, required=False)
    category = UserScopedRelatedField(Category, allow_null=True, required=False)
    group = UserScopedRelatedField(Group, allow_null=True, required=False)
    account_name = serializers.CharField(source="account.name", read_only=True, default=None, allow_null=True)
    category_name = serializers.CharField(source="category.name", read_only=True, default=None, allow_null=True)
    splits = SplitSerializer(many=True, read_only=True)
    mentions = MentionSerializer(many=True, read_only=True)
    split = SplitInputSerializer(write_only=True, required=False,
                                 help_text="Replace the splits: method, participants and values.")
    owner = serializers.IntegerField(source="user_id", read_only=True)
    exclude_from_totals = serializers.BooleanField(
        required=False, help_text="Setting it by hand overrides the classification's rule."
    )

    class Meta:
        model = Transaction
        fields = [
            "id", "owner", "date", "amount", "currency", "description", "merchant", "notes", "account",
            "account_name", "category", "category_name", "group", "source", "uploaded_file", "bank_id",
            "expense_classification", "exclude_from_totals", "exclusion_overridden", "is_reimbursable",
            "is_recurring", "chat_message", "splits", "mentions", "split", "created_at", "updated_at",
        ]
        read_only_fields = ["source", "uploaded_file", "bank_id", "exclusion_overridden", "chat_message",
                            "created_at", "updated_at"]


class BulkClassifySerializer(serializers.Serializer):
    ids = serializers.ListField(child=IdField(), min_length=1, max_length=1000)
    expense_classification = serializers.ChoiceField(choices=ExpenseClassification.choices)


class BulkClassifyResultSerializer(serializers.Serializer):
    updated = serializers.IntegerField()


# -- chat ------------------------------------------------------------------------------


class ChatMessageSerializer(ModelSerializer):
    awaiting_confirmation = serializers.SerializerMethodField()
    metadata = serializers.DictField(
        read_only=True,
        help_text="The parse: mentions [{type, text, name, resolved, id}], parsed {amount, currency, description, "
        "category, tags, date, is_income, split_count, split_with}, confidence, reasons, error, missing; "
        "awaiting_confirmation and suggestion_id on a suggestion.",
    )

    class Meta:
        model = ChatMessage
        fields = ["id", "conversation_id", "message_type", "content", "status", "related_transaction",
                  "awaiting_confirmation", "metadata", "created_at"]
        read_only_fields = fields

    def get_awaiting_confirmation(self, obj: ChatMessage) -> bool:
        return bool((obj.metadata or {}).get("awaiting_confirmation"))


class ChatSubmitSerializer(serializers.Serializer):
    text = serializers.CharField(trim_whitespace=False, max_length=100_000)
    conversation_id = serializers.CharField(max_length=255, default="main")


class ChatConfirmSerializer(serializers.Serializer):
    amount = DecimalStringField(max_digits=15, decimal_places=4, required=False)
    currency = serializers.CharField(max_length=3, required=False)
    description = serializers.CharField(max_length=500, required=False)
    category = IdField(required=False, allow_null=True, help_text="A category id of yours.")
    date = serializers.DateField(required=False)
    is_income = serializers.BooleanField(required=False)


class ChatResultSerializer(serializers.Serializer):
    message = ChatMessageSerializer()
    reply = ChatMessageSerializer()
    transaction = TransactionSerializer(allow_null=True)


class MentionSuggestionSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["user", "group", "category", "tag"])
    text = serializers.CharField(help_text="What to insert; it resolves back to the same object.")
    id = serializers.IntegerField(allow_null=True)
    label = serializers.CharField()  # type: ignore[assignment]  # a declared field, which DRF's metaclass moves off the class
    uses = serializers.IntegerField()


# -- statements ----------------------------------------------------------------------


class ProcessingLogSerializer(ModelSerializer):
    parser_type = serializers.ChoiceField(choices=ParserType.choices, allow_blank=True, read_only=True,
                                          help_text="Empty for stages that parse nothing.")
    details = serializers.DictField(
        read_only=True, help_text="What the stage did (counts, format, parser, timings) or, when it failed, "
        "error (the library's error class name) and message.")
    class Meta:
        model = StatementProcessingLog
        fields = ["id", "processing_stage", "status", "parser_type", "ai_provider", "details",
                  "execution_time_ms", "created_at"]
        read_only_fields = fields


class UploadedFileSerializer(ModelSerializer):
    account = UserScopedRelatedField(Account, read_only=True, allow_null=True)
    status_url = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField()
    transaction_count = serializers.IntegerField(read_only=True, help_text="Transactions in the ledger from this file.")

    class Meta:
        model = UploadedFile
        fields = ["id", "filename", "account", "size", "sha256", "content_type", "status", "error_stage",
                  "error_message", "is_password_protected", "duplicate_of", "duplicate_confidence",
                  "processing_version", "processed_at", "created_at", "updated_at", "transaction_count",
                  "status_url", "download_url"]
        read_only_fields = fields

    def _url(self, name: str, obj: UploadedFile) -> str:
        from django.urls import reverse

        request = self.context.get("request")
        path = reverse(f"expense_ai_api:{name}", kwargs={"pk": obj.pk})
        return request.build_absolute_uri(path) if request is not None else path

    def get_status_url(self, obj: UploadedFile) -> str:
        return self._url("statement-detail", obj)

    def get_download_url(self, obj: UploadedFile) -> str:
        return self._url("statement-download", obj)


class UploadedFileDetailSerializer(UploadedFileSerializer):
    logs = ProcessingLogSerializer(source="processing_logs", many=True, read_only=True)

    class Meta(UploadedFileSerializer.Meta):
        fields = [*UploadedFileSerializer.Meta.fields, "logs"]
        read_only_fields = fields


class SkippedDuplicateSerializer(serializers.Serializer):
    """A parsed row the de-duplication stage did not import, and why."""

    row = serializers.IntegerField(help_text="Index of the row among the parsed rows.")
    date = serializers.DateField()
    amount = serializers.CharField(help_text="Decimal string, signed.")
    description = serializers.CharField(allow_blank=True)
    matched_transaction_id = serializers.IntegerField(allow_null=True,
                                                      help_text="The ledger transaction it duplicates.")
    duplicate_of_row = serializers.IntegerField(allow_null=True, required=False,
                                                help_text="An earlier row of the same file it repeats.")
    reason = serializers.CharField(help_text="bank_id, fingerprint or fuzzy.")
    score = serializers.FloatField(allow_null=True, help_text="Similarity 0-1 of a fuzzy match (not money).")


class ParsedRowSerializer(serializers.Serializer):
    date = serializers.DateField(allow_null=True)
    description = serializers.CharField(allow_blank=True)
    amount = serializers.CharField(allow_null=True, help_text="Decimal string, signed.")
    currency = serializers.CharField(allow_null=True)
    balance = serializers.CharField(allow_null=True, help_text="Decimal string.")
    bank_id = serializers.CharField(allow_null=True, allow_blank=True)


class ParsedStatementSerializer(serializers.Serializer):
    parser = serializers.CharField(allow_blank=True, allow_null=True)
    parser_type = serializers.CharField(allow_blank=True)
    confidence = serializers.FloatField()
    currency = serializers.CharField(allow_null=True)
    period_start = serializers.DateField(allow_null=True)
    period_end = serializers.DateField(allow_null=True)
    opening_balance = serializers.CharField(allow_null=True, help_text="Decimal string.")
    closing_balance = serializers.CharField(allow_null=True, help_text="Decimal string.")
    account_hint = serializers.CharField(allow_blank=True)
    rows = ParsedRowSerializer(many=True)


class ImportResultSerializer(UploadedFileDetailSerializer):
    rows_found = serializers.IntegerField(read_only=True)
    created_transactions = TransactionSerializer(many=True, read_only=True)
    skipped_duplicates = SkippedDuplicateSerializer(many=True, read_only=True)

    class Meta(UploadedFileDetailSerializer.Meta):
        fields = [*UploadedFileDetailSerializer.Meta.fields, "rows_found", "created_transactions",
                  "skipped_duplicates"]
        read_only_fields = fields


class StatementUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="The statement: PDF (maybe encrypted), CSV, OFX or QFX.")
    password = WriteOnlySecretField(allow_blank=True, help_text="Tried first on an encrypted PDF; never stored.")
    account = UserScopedRelatedField(Account, allow_null=True, required=False)
    review = serializers.BooleanField(
        required=False, allow_null=True, default=None,
        help_text='Stop in awaiting_review before creating anything; default: EXPENSE_AI["REVIEW_UPLOADS"].')


class ResemblesSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    date = serializers.DateField()
    amount = serializers.CharField(help_text="Decimal string.")
    currency = serializers.CharField(allow_blank=True)
    description = serializers.CharField(allow_blank=True)


class ReviewRowSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text="The row's index: what include/exclude/force/categories name.")
    date = serializers.DateField()
    posted_date = serializers.DateField(allow_null=True)
    description = serializers.CharField(allow_blank=True)
    merchant = serializers.CharField(allow_blank=True)
    amount = serializers.CharField(help_text="Decimal string; negative is money out.")
    currency = serializers.CharField(allow_null=True)
    balance = serializers.CharField(allow_null=True)
    bank_id = serializers.CharField(allow_blank=True)
    verdict = serializers.ChoiceField(choices=["new", *REVIEW_VERDICTS.values()])
    score = serializers.FloatField(allow_null=True, help_text="0-100 for a duplicate, else null.")
    transaction_id = serializers.IntegerField(allow_null=True, help_text="The existing transaction it resembles.")
    duplicate_of_row = serializers.IntegerField(allow_null=True)
    include = serializers.BooleanField()
    forced = serializers.BooleanField(help_text="A sure duplicate the user included anyway.")
    category_id = serializers.IntegerField(allow_null=True, help_text="The user's category for the row.")
    resembles = ResemblesSerializer(allow_null=True)


class ReviewSerializer(serializers.Serializer):
    file = serializers.IntegerField()
    status = serializers.ChoiceField(choices=FileStatus.choices)
    state = serializers.ChoiceField(choices=["open", "committed", "expired"])
    format = serializers.CharField()
    mapping = serializers.DictField(allow_null=True, help_text="A CSV's column mapping (a bank profile's fields).")
    account = serializers.IntegerField(allow_null=True)
    rows = ReviewRowSerializer(many=True)
    counts = serializers.DictField(child=serializers.IntegerField(), help_text="rows, included, and per verdict.")


class ReviewUpdateSerializer(serializers.Serializer):
    include = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    exclude = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    force = serializers.ListField(child=serializers.IntegerField(), required=False, default=list,
                                  help_text="Sure duplicates to import anyway.")
    bulk = serializers.ChoiceField(choices=REVIEW_BULK_CHOICES, required=False, allow_null=True, default=None)
    categories = serializers.DictField(child=serializers.IntegerField(allow_null=True), required=False,
                                       default=dict, help_text="Row index (as a string key) -> category id or null.")
    mapping = serializers.DictField(required=False, allow_null=True, default=None,
                                    help_text="A new CSV column mapping: the rows are read again at once.")

    def validate_categories(self, value: dict[str, Any]) -> dict[int, Any]:
        try:
            return {int(key): category for key, category in value.items()}
        except ValueError as err:
            raise serializers.ValidationError("Keys are row indexes (whole numbers).") from err


class ReviewCommitSerializer(serializers.Serializer):
    keep_mapping_for_account = serializers.BooleanField(
        required=False, default=False, help_text="Save the CSV mapping as the account's bank profile.")


class ReprocessSerializer(serializers.Serializer):
    password = WriteOnlySecretField(allow_blank=True)


class StatementTextSerializer(serializers.Serializer):
    raw_text = serializers.CharField(help_text="Text extracted from the file.")
    parsed = ParsedStatementSerializer(allow_null=True, help_text="The parsed rows and statement fields.")


class StatementPasswordSerializer(ModelSerializer):
    password = WriteOnlySecretField(help_text="Required when creating; never returned.")
    account = UserScopedRelatedField(Account, allow_null=True, required=False)

    class Meta:
        model = StatementPassword
        fields = ["id", "account", "password", "password_hint", "file_pattern", "is_default", "last_used",
                  "success_count", "created_at", "updated_at"]
        read_only_fields = ["last_used", "success_count", "created_at", "updated_at"]


# -- merges ---------------------------------------------------------------------------


class MergeSerializer(ModelSerializer):
    primary_file = UploadedFileSerializer(read_only=True)
    duplicate_files = UploadedFileSerializer(many=True, read_only=True)

    class Meta:
        model = StatementMerge
        fields = ["id", "primary_file", "duplicate_files", "merge_strategy", "status", "similarity_score",
                  "merged_at", "created_at", "updated_at"]
        read_only_fields = fields


class ComparedRowSerializer(serializers.Serializer):
    date = serializers.DateField()
    amount = serializers.CharField(help_text="Decimal string, signed.")
    description = serializers.CharField(allow_blank=True)
    bank_id = serializers.CharField(allow_blank=True)


class UnmatchedRowSerializer(ComparedRowSerializer):
    row = serializers.IntegerField()


class MatchedPairSerializer(serializers.Serializer):
    primary_row = serializers.IntegerField()
    duplicate_row = serializers.IntegerField()
    tier = serializers.CharField(help_text="How the rows matched: exact, bank_id, fuzzy ...")
    weight = serializers.CharField(help_text="Decimal string.")
    primary = ComparedRowSerializer()
    duplicate = ComparedRowSerializer()


class ScorePartSerializer(serializers.Serializer):
    value = serializers.CharField(help_text="0-1, decimal string.")
    weight = serializers.CharField(help_text="Decimal string.")


class RowsPartSerializer(ScorePartSerializer):
    matched_weight = serializers.CharField()
    rows_primary = serializers.IntegerField()
    rows_duplicate = serializers.IntegerField()
    by_tier = serializers.DictField(child=serializers.IntegerField())


class PeriodPartSerializer(ScorePartSerializer):
    primary = serializers.ListField(child=serializers.DateField(), allow_null=True)
    duplicate = serializers.ListField(child=serializers.DateField(), allow_null=True)


class TotalsPartSerializer(ScorePartSerializer):
    gross_primary = serializers.CharField()
    gross_duplicate = serializers.CharField()


class ScorePartsSerializer(serializers.Serializer):
    rows = RowsPartSerializer()
    period = PeriodPartSerializer()
    totals = TotalsPartSerializer()


class ComparisonSerializer(serializers.Serializer):
    """The similarity score explained (``similarity.Comparison.explain``)."""

    score = serializers.CharField(help_text="0-100, decimal string.")
    formula = serializers.CharField()
    identical_bytes = serializers.BooleanField()
    parts = ScorePartsSerializer()
    matched = MatchedPairSerializer(many=True)
    only_in_primary = UnmatchedRowSerializer(many=True)
    only_in_duplicate = UnmatchedRowSerializer(many=True)


class MergeReviewDuplicateSerializer(serializers.Serializer):
    file = UploadedFileSerializer()
    comparison = ComparisonSerializer(help_text="The score explained: each part, matched and unmatched rows.")
    transactions = TransactionSerializer(many=True)


class MergeDetailSerializer(MergeSerializer):
    details = serializers.DictField(
        read_only=True, help_text="The score's parts at detection, history [{from, to, by, at}], and after "
        "completion removed/kept/unmatched transactions.")
    review = serializers.SerializerMethodField()

    class Meta(MergeSerializer.Meta):
        fields = [*MergeSerializer.Meta.fields, "details", "review"]
        read_only_fields = fields

    @extend_schema_field(MergeReviewDuplicateSerializer(many=True))
    def get_review(self, obj: StatementMerge) -> list[dict[str, Any]]:
        from ..statements.merges import merge_review

        review = merge_review(obj)
        # many=True makes a ListSerializer, whose data is a list; the stub says ReturnDict.
        return MergeReviewDuplicateSerializer(  # type: ignore[return-value]
            review["duplicates"], many=True, context=self.context
        ).data


class MergeCompleteSerializer(serializers.Serializer):
    strategy = serializers.ChoiceField(choices=MergeStrategy.choices, required=False)
    remove = serializers.ListField(child=IdField(), required=False, allow_null=True,
                                   help_text="Transaction ids to remove (manual strategy only).")


class PurgeResultSerializer(serializers.Serializer):
    purged = serializers.IntegerField()


# -- settings ---------------------------------------------------------------------------


class AISettingsSerializer(ModelSerializer):
    openai_api_key = WriteOnlySecretField(allow_blank=True, allow_null=True, help_text="Write-only; '' clears.")
    claude_api_key = WriteOnlySecretField(allow_blank=True, allow_null=True, help_text="Write-only; '' clears.")
    gemini_api_key = WriteOnlySecretField(allow_blank=True, allow_null=True, help_text="Write-only; '' clears.")
    has_openai_key = serializers.SerializerMethodField()
    has_claude_key = serializers.SerializerMethodField()
    has_gemini_key = serializers.SerializerMethodField()
    active_parser_provider = serializers.CharField(max_length=50, required=False)
    ai_opt_in = serializers.BooleanField(required=False, write_only=True,
                                         help_text="true opts in (time recorded), false withdraws.")
    api_key_test_status = serializers.DictField(
        child=serializers.DictField(child=serializers.CharField()), read_only=True
    )

    class Meta:
        model = get_ai_settings_model()
        fields = ["openai_api_key", "claude_api_key", "gemini_api_key", "has_openai_key", "has_claude_key",
                  "has_gemini_key", "openai_model", "claude_model", "gemini_model", "active_parser_provider",
                  "ai_opt_in", "ai_opt_in_at", "api_key_last_tested", "api_key_test_status"]
        read_only_fields = ["ai_opt_in_at", "api_key_last_tested"]

    def get_has_openai_key(self, obj: Any) -> bool:
        return obj.has_api_key("openai")

    def get_has_claude_key(self, obj: Any) -> bool:
        return obj.has_api_key("claude")

    def get_has_gemini_key(self, obj: Any) -> bool:
        return obj.has_api_key("gemini")


class KeyTestResultSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["ok", "failed"])
    kind = serializers.CharField(required=False)
    message = serializers.CharField(required=False)


class KeyTestRequestSerializer(serializers.Serializer):
    providers = serializers.ListField(child=serializers.CharField(), required=False)


class PreferencesSerializer(ModelSerializer):
    class Meta:
        model = get_user_preferences_model()
        fields = ["default_currency", "sidebar_collapsed", "quick_add_mode", "default_chat_parser", "review_uploads"]


# -- budgets -------------------------------------------------------------------------------


class AllocationSerializer(serializers.Serializer):
    name = serializers.CharField(required=False)
    percentage = serializers.CharField(required=False, help_text="Decimal string, e.g. '25'.")
    amount = serializers.CharField(required=False, help_text="Decimal string in the budget's currency.")


class BudgetSerializer(ModelSerializer):
    amount = MoneyField()
    category_allocations = serializers.DictField(child=AllocationSerializer(), required=False)
    ai_generation_context = serializers.DictField(
        read_only=True, allow_null=True, help_text="For AI-suggested budgets: method (plugin, ai, heuristic), "
        "prompt, answer, provider, model, fallback_reason.")

    class Meta:
        model = Budget
        fields = ["id", "name", "period", "start_date", "end_date", "amount", "currency", "budget_type",
                  "category_allocations", "template_source", "ai_generation_context", "created_at", "updated_at"]
        read_only_fields = ["budget_type", "template_source", "ai_generation_context", "created_at", "updated_at"]


class IncomeRangeSerializer(serializers.Serializer):
    min = serializers.CharField(required=False, help_text="Yearly income, decimal string.")
    max = serializers.CharField(required=False, help_text="Yearly income, decimal string.")
    currency = serializers.CharField(required=False)


class BudgetTemplateSerializer(ModelSerializer):
    category_allocations = serializers.DictField(child=AllocationSerializer())
    target_income_range = IncomeRangeSerializer(required=False)
    location_tags = serializers.ListField(child=serializers.CharField(), required=False)

    class Meta:
        model = BudgetTemplate
        fields = ["id", "name", "description", "is_system", "category_allocations", "target_income_range",
                  "location_tags", "usage_count", "is_active", "created_at"]
        read_only_fields = ["is_system", "usage_count", "is_active", "created_at"]


class ApplyTemplateSerializer(serializers.Serializer):
    monthly_income = DecimalStringField(max_digits=15, decimal_places=4)
    start_date = serializers.DateField()
    end_date = serializers.DateField(required=False, allow_null=True)
    currency = serializers.CharField(max_length=3, required=False)
    name = serializers.CharField(max_length=200, required=False)


class SuggestBudgetSerializer(serializers.Serializer):
    monthly_income = DecimalStringField(max_digits=15, decimal_places=4)
    currency = serializers.CharField(max_length=3, required=False)
    start_date = serializers.DateField(required=False)
    end_date = serializers.DateField(required=False)
    context = serializers.DictField(required=False)  # type: ignore[assignment]  # a declared field, which DRF's metaclass moves off the class


class TemplateSuggestionSerializer(serializers.Serializer):
    template = BudgetTemplateSerializer()
    score = DecimalStringField(max_digits=12, decimal_places=4)
    reasons = serializers.ListField(child=serializers.CharField())


class BudgetLineSerializer(serializers.Serializer):
    key = serializers.CharField(allow_null=True)
    name = serializers.CharField()
    allocated = MoneyField(currency_attr="_currency")
    spent = MoneyField(currency_attr="_currency")
    remaining = MoneyField(currency_attr="_currency")
    percent_used = DecimalStringField(max_digits=12, decimal_places=2, allow_null=True)


class BudgetReportSerializer(serializers.Serializer):
    budget_id = serializers.IntegerField()
    currency = serializers.CharField()
    start = serializers.DateField()
    end = serializers.DateField()
    lines = BudgetLineSerializer(many=True)
    allocated = MoneyField()
    spent = MoneyField()
    remaining = MoneyField()
    percent_used = DecimalStringField(max_digits=12, decimal_places=2, allow_null=True)
    other_currencies = serializers.DictField(child=serializers.DictField(child=serializers.CharField()))


# -- reports ---------------------------------------------------------------------------------

class CategoryAmountsSerializer(serializers.Serializer):
    category_id = serializers.IntegerField(allow_null=True, help_text="null: uncategorised.")
    name = serializers.CharField(allow_null=True)
    amounts = serializers.DictField(child=serializers.CharField(), help_text="{currency: decimal string}")


class MonthTotalsSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    month = serializers.IntegerField()
    count = serializers.IntegerField()
    regular = serializers.DictField(child=serializers.CharField(), help_text="{currency: decimal string}")
    excluded = serializers.DictField(child=serializers.CharField())
    by_currency = serializers.DictField(child=serializers.CharField())
    by_classification = serializers.DictField(child=serializers.DictField(child=serializers.CharField()))
    by_category = CategoryAmountsSerializer(many=True)


class AccountTotalsSerializer(serializers.Serializer):
    account_id = serializers.IntegerField()
    start = serializers.DateField()
    end = serializers.DateField()
    count = serializers.IntegerField()
    regular = serializers.DictField(child=serializers.CharField())
    excluded = serializers.DictField(child=serializers.CharField())
    money_in = serializers.DictField(child=serializers.CharField())
    money_out = serializers.DictField(child=serializers.CharField())
    total = serializers.DictField(child=serializers.CharField())

