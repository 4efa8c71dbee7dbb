from __future__ import annotations

from django.contrib import admin

from ..models import StatementMerge, StatementProcessingLog, UploadedFile
from .base import OwnedAdmin


class ProcessingLogInline(admin.TabularInline):
    model = StatementProcessingLog
    fields = ("created_at", "processing_stage", "status", "parser_type", "ai_provider", "execution_time_ms", "details")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(UploadedFile)
class UploadedFileAdmin(OwnedAdmin):
    list_display = ("filename", "user", "account", "status", "is_password_protected", "size", "created_at",
                    "duplicate_of")
    list_filter = ("status", "is_password_protected", "processing_version")
    search_fields = ("filename", "sha256")
    raw_id_fields = ("user",)
    autocomplete_fields = ("account", "duplicate_of", "used_password")
    readonly_fields = ("sha256", "size", "content_type", "status", "error_stage", "error_message",
                       "processed_at", "is_password_protected", "used_password", "processing_version",
                       "raw_text_extracted", "parsed_json", "duplicate_confidence", "created_at", "updated_at")
    exclude = ("file",)
    inlines = [ProcessingLogInline]


@admin.register(StatementProcessingLog)
class StatementProcessingLogAdmin(admin.ModelAdmin):
    list_display = ("uploaded_file", "processing_stage", "status", "parser_type", "ai_provider",
                    "execution_time_ms", "created_at")
    list_filter = ("processing_stage", "status", "parser_type")
    search_fields = ("uploaded_file__filename",)
    autocomplete_fields = ("uploaded_file",)

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        return qs if request.user.is_superuser else qs.filter(uploaded_file__user=request.user)


@admin.register(StatementMerge)
class StatementMergeAdmin(OwnedAdmin):
    owner_field = "merged_by"
    list_display = ("primary_file", "status", "merge_strategy", "similarity_score", "merged_by", "created_at")
    list_filter = ("status", "merge_strategy")
    search_fields = ("primary_file__filename",)
    raw_id_fields = ("merged_by",)
    autocomplete_fields = ("primary_file", "duplicate_files")
