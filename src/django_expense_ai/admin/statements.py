"""Admin for statement files: upload form, reprocess action, raw-vs-parsed view, logs inline.

Passwords typed into the upload form are write-only: used for this import and
forgotten, unless "remember" is ticked, which stores them encrypted
(``StatementPassword.set_password``) once they have opened the file.
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import formats, timezone
from django.utils.decorators import method_decorator
from django.utils.html import format_html, format_html_join
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables

from ..exceptions import ExpenseAIError, InvalidTransition
from ..models import Account, StatementMerge, StatementProcessingLog, UploadedFile
from ..models.choices import FileStatus, MergeStatus, MergeStrategy
from ..statements.passwords import remember_password
from ..types import RequestUser
from .base import ScopedAdmin, ScopedInline, acting_user, breadcrumbs, money_display


def _percent(value: Any) -> str:
    try:
        return f"{(Decimal(str(value)) * 100).quantize(Decimal('1'))}%"
    except (InvalidOperation, ValueError):
        return str(value)


def _points(part: dict[str, Any]) -> str:
    try:
        points = Decimal(str(part["value"])) * Decimal(str(part["weight"])) * 100
    except (KeyError, InvalidOperation, ValueError):
        return "?"
    return str(points.quantize(Decimal("0.1")))


def score_in_words(explained: dict[str, Any], *, primary: str, duplicate: str) -> list[str]:
    """The similarity score of a merge review, told as sentences that agree with the numbers.

    ``explained`` is :meth:`~..statements.similarity.Comparison.explain`
    with labels ``primary``/``duplicate``. Identical bytes score 100 without
    any row being compared (a re-upload is not read again), so that case
    says so instead of listing "0 rows matched" beside a score of 100.

    :returns: a list of sentences (plain text; the template escapes them).
    """
    score = explained.get("score", "?")
    if explained.get("identical_bytes"):
        return [
            f"Score {score} of 100: {duplicate} and {primary} are the same file, byte for byte "
            "(the same SHA-256 checksum).",
            "A file already imported is not read again, so no rows were compared; "
            "nothing of it was added to the ledger twice.",
        ]
    parts = explained.get("parts", {})
    rows, period, totals = parts.get("rows", {}), parts.get("period", {}), parts.get("totals", {})
    n_primary, n_duplicate = rows.get("rows_primary", 0), rows.get("rows_duplicate", 0)
    smaller = min(n_primary, n_duplicate)
    tiers = rows.get("by_tier", {})
    how = ", ".join(f"{count} {name.replace('_', ' ')}" for name, count in sorted(tiers.items()) if count)
    sentences = [f"Score {score} of 100, made of three parts:"]
    if smaller:
        sentences.append(
            f"Rows: {sum(tiers.values())} of the {smaller} rows of the shorter statement have a twin in the "
            f"other{f' ({how})' if how else ''}, {_percent(rows.get('value', 0))} alike, "
            f"weighing {_percent(rows.get('weight', 0))}: {_points(rows)} points."
        )
    else:
        sentences.append(
            f"Rows: {'neither statement has' if not (n_primary or n_duplicate) else 'one statement has no'} "
            f"rows to compare, so rows add 0 points (they weigh {_percent(rows.get('weight', 0))})."
        )
    span_p, span_d = period.get("primary"), period.get("duplicate")
    if span_p and span_d:
        sentences.append(
            f"Period: {span_p[0]} to {span_p[1]} against {span_d[0]} to {span_d[1]}, "
            f"{_percent(period.get('value', 0))} of the days shared, weighing "
            f"{_percent(period.get('weight', 0))}: {_points(period)} points."
        )
    else:
        sentences.append("Period: a statement has no dates, so the period adds 0 points.")
    sentences.append(
        f"Totals: money moved {totals.get('gross_primary', '0')} against {totals.get('gross_duplicate', '0')}, "
        f"{_percent(totals.get('value', 0))} alike, weighing {_percent(totals.get('weight', 0))}: "
        f"{_points(totals)} points."
    )
    return sentences


def _statement_currency(uploaded: UploadedFile) -> str:
    """The currency a statement's rows are in (its parse, else the site default)."""
    from ..conf import settings

    parsed = uploaded.parsed_json if isinstance(uploaded.parsed_json, dict) else {}
    return parsed.get("currency") or settings.DEFAULT_CURRENCY


def _with_money(outcome: dict[str, Any], currency: str) -> dict[str, Any]:
    for rows in outcome.values():
        for row in rows or ():
            if isinstance(row, dict) and "amount" in row:
                row["amount_display"] = money_display(row["amount"], row.get("currency") or currency)
    return outcome


class StatementUploadForm(forms.Form):
    """Upload a statement; the password is never re-displayed nor stored unless remembered."""

    file = forms.FileField(help_text="PDF, CSV, OFX or QFX as downloaded from the bank.")
    account = forms.ModelChoiceField(queryset=Account.objects.none(), required=False)
    password = forms.CharField(
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="Only for a password-protected PDF. Used for this import, then forgotten.",
    )
    remember = forms.BooleanField(
        required=False,
        help_text="Save the password (encrypted) in the password book for this account, if it opens the file.",
    )
    password_hint = forms.CharField(
        required=False, max_length=255, help_text="A reminder shown instead of the password (never the password)."
    )

    def __init__(self, *args: Any, user: RequestUser | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["account"]).queryset = Account.objects.for_user(user)


class ProcessingLogInline(ScopedInline):
    model = StatementProcessingLog
    fields = ("created_at", "processing_stage", "status", "parser_type", "ai_provider", "execution_time_ms", "details")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: UploadedFile | None = None) -> bool:
        return False


@admin.register(UploadedFile)
class UploadedFileAdmin(ScopedAdmin):
    list_display = ("filename", "user", "account", "status", "is_password_protected", "size", "created_at",
                    "duplicate_of")
    list_filter = ("status", "is_password_protected", "processing_version")
    search_fields = ("filename", "sha256")
    raw_id_fields = ("user",)
    autocomplete_fields = ("account", "duplicate_of", "used_password")
    readonly_fields = ("links", "sha256", "size", "content_type", "status", "error_stage", "error_message",
                       "processed_at", "is_password_protected", "used_password", "processing_version",
                       "raw_text_extracted", "parsed_json", "duplicate_confidence", "created_at", "updated_at")
    exclude = ("file",)
    inlines = [ProcessingLogInline]
    actions = ["reprocess_files"]

    def get_urls(self) -> list[URLPattern]:
        info = self.opts.app_label, self.opts.model_name
        return [
            path("upload/", self.admin_site.admin_view(self.upload_view), name="%s_%s_upload" % info),
            path("<path:object_id>/compare/", self.admin_site.admin_view(self.compare_view),
                 name="%s_%s_compare" % info),
            *super().get_urls(),
        ]

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        # A statement is added by uploading it through the pipeline, never by hand.
        return self.upload_view(request)

    @admin.display(description="links")
    def links(self, obj: UploadedFile | None) -> str:
        if obj is None or obj.pk is None:
            return "-"
        items = [(reverse("admin:expense_ai_uploadedfile_compare", args=[obj.pk]), "Raw text vs parsed rows")]
        if obj.file:
            items.append((reverse("expense_ai:statement_download", args=[obj.pk]), "Download the file"))
        return format_html_join(" | ", '<a href="{}">{}</a>', items)

    @method_decorator(sensitive_post_parameters("password"))
    @method_decorator(sensitive_variables("password", "data"))
    def upload_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = StatementUploadForm(request.POST or None, request.FILES or None, user=request.user)
        if request.method == "POST" and form.is_valid():
            from ..statements import import_statement

            data = form.cleaned_data
            password = data.get("password") or None
            try:
                uploaded = import_statement(
                    acting_user(request), data["file"], filename=data["file"].name, account=data.get("account"),
                    password=password,
                )
            except ExpenseAIError as err:
                form.add_error(None, str(err))
            else:
                self._remember_password(request, uploaded, data, password)
                self._report(request, uploaded)
                return HttpResponseRedirect(reverse("admin:expense_ai_uploadedfile_change", args=[uploaded.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "form": form,
            "title": "Upload a statement",
            "ea_breadcrumbs": breadcrumbs(self, here="Upload a statement"),
        }
        return TemplateResponse(request, "admin/expense_ai/uploadedfile/upload.html", context)

    def _remember_password(
        self, request: HttpRequest, uploaded: UploadedFile, data: dict[str, Any], password: str | None
    ) -> None:
        if not (password and data.get("remember")):
            return
        # A password for the statement's account (no file pattern), as the form says.
        entry = remember_password(uploaded, password, user=acting_user(request), hint=data.get("password_hint") or "",
                                  file_pattern="")
        if entry is None:
            self.message_user(request, "The password was not saved: it was not needed or did not open the file.",
                              messages.WARNING)
            return
        self.message_user(request, f"The password was saved (encrypted) as password #{entry.pk}.")

    def _report(self, request: HttpRequest, uploaded: UploadedFile) -> None:
        if uploaded.status == FileStatus.FAILED:
            self.message_user(request, f"Import of {uploaded.filename} failed at {uploaded.error_stage}: "
                              f"{uploaded.error_message}", messages.ERROR)
        elif uploaded.status == FileStatus.QUEUED:
            self.message_user(request, f"Queued {uploaded.filename} for processing.")
        elif uploaded.duplicate_of is not None and uploaded.duplicate_of.sha256 == uploaded.sha256:
            original = uploaded.duplicate_of
            when = formats.date_format(timezone.localtime(original.created_at), "DATE_FORMAT")
            self.message_user(
                request,
                f"The file {uploaded.filename} is a duplicate of {original.filename} (file #{original.pk}, uploaded "
                f"{when}): the same file, byte for byte. Nothing was imported again.",
                messages.WARNING,
            )
        else:
            skipped = len(uploaded.skipped_duplicates)
            # The admin capitalises a message's first letter: start with a word, not the file name.
            text = (f"Imported {uploaded.filename}: {uploaded.rows_found} row(s) read, "
                    f"{len(uploaded.created_transactions)} transaction(s) created")
            if skipped:
                text += f", {skipped} skipped as already in your ledger"
            self.message_user(request, text + ".")

    def compare_view(self, request: HttpRequest, object_id: str) -> TemplateResponse:
        obj = self.get_object(request, object_id)
        if obj is None or not self.has_view_or_change_permission(request, obj):
            raise Http404("No such statement file.")
        parsed = obj.parsed_json or {}
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": obj,
            "title": f"Raw text and parsed rows: {obj.filename}",
            # Rendered with autoescaping: the text is data, never markup.
            "raw_text": obj.raw_text_extracted,
            "raw_length": len(obj.raw_text_extracted or ""),
            "parsed_json": json.dumps(parsed, indent=2, ensure_ascii=False),
            "row_count": len(parsed.get("rows", [])) if isinstance(parsed, dict) else 0,
            "ea_breadcrumbs": breadcrumbs(self, original=obj, here="Raw text and parsed rows"),
        }
        return TemplateResponse(request, "admin/expense_ai/uploadedfile/compare.html", context)

    @admin.action(description="Reprocess selected statement files")
    def reprocess_files(self, request: HttpRequest, queryset: QuerySet[UploadedFile]) -> None:
        from ..statements import reprocess

        for uploaded in queryset:
            try:
                reprocess(uploaded)
            except InvalidTransition as err:
                self.message_user(request, f"{uploaded.filename}: {err}", messages.WARNING)
                continue
            self._report(request, uploaded)


@admin.register(StatementProcessingLog)
class StatementProcessingLogAdmin(ScopedAdmin):
    """The audit log: written by the statement pipeline only, read-only here (superusers may delete)."""

    owner_field = None
    list_display = ("uploaded_file", "processing_stage", "status", "parser_type", "ai_provider",
                    "execution_time_ms", "created_at")
    list_filter = ("processing_stage", "status", "parser_type")
    search_fields = ("uploaded_file__filename",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: StatementProcessingLog | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: StatementProcessingLog | None = None) -> bool:
        # Model level as usual (so another user's id is "not found", like every other id);
        # a row of the audit log is deleted by superusers only.
        if obj is not None and not request.user.is_superuser:
            return False
        return super().has_delete_permission(request, obj)


@admin.register(StatementMerge)
class StatementMergeAdmin(ScopedAdmin):
    """Suggested merges: the two statements side by side, and the moves of the merge's state machine.

    Every change goes through :mod:`django_expense_ai.statements.merges`
    (``transition_merge``, ``undo_merge``, ``purge_merge``); the review page
    offers the moves the merge's status allows.
    """

    owner_field = "merged_by"
    list_display = ("primary_file", "status", "merge_strategy", "similarity_score", "merged_by", "created_at",
                    "review_link")
    list_filter = ("status", "merge_strategy")
    search_fields = ("primary_file__filename",)
    raw_id_fields = ("merged_by",)
    autocomplete_fields = ("primary_file", "duplicate_files")
    readonly_fields = ("review_link", "status", "similarity_score", "merged_at", "details", "created_at",
                       "updated_at")
    actions = ["approve_merges", "reject_merges"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Merges are suggested by duplicate detection when a statement is processed.
        return False

    def get_urls(self) -> list[URLPattern]:
        info = self.opts.app_label, self.opts.model_name
        return [
            path("<path:object_id>/review/", self.admin_site.admin_view(self.review_view),
                 name="%s_%s_review" % info),
            *super().get_urls(),
        ]

    @admin.display(description="review")
    def review_link(self, obj: StatementMerge | None) -> str:
        if obj is None or obj.pk is None:
            return "-"
        return format_html('<a href="{}">Compare and decide</a>',
                           reverse("admin:expense_ai_statementmerge_review", args=[obj.pk]))

    def _move(self, request: HttpRequest, merge: StatementMerge, to_status: str, **kwargs: Any) -> bool:
        from ..statements.merges import transition_merge

        try:
            transition_merge(merge, to_status, user=acting_user(request), **kwargs)
        except ExpenseAIError as err:
            self.message_user(request, f"Merge #{merge.pk}: {err}", messages.ERROR)
            return False
        return True

    @admin.action(description="Approve selected suggested merges")
    def approve_merges(self, request: HttpRequest, queryset: QuerySet[StatementMerge]) -> None:
        done = sum(self._move(request, merge, MergeStatus.APPROVED) for merge in queryset)
        self.message_user(request, f"{done} merge(s) approved.")

    @admin.action(description="Reject selected suggested merges (they are not suggested again)")
    def reject_merges(self, request: HttpRequest, queryset: QuerySet[StatementMerge]) -> None:
        done = sum(self._move(request, merge, MergeStatus.REJECTED) for merge in queryset)
        self.message_user(request, f"{done} merge(s) rejected.")

    def review_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        from ..statements import merges

        merge = self.get_object(request, object_id)
        if merge is None or not self.has_view_or_change_permission(request, merge):
            raise Http404("No such statement merge.")
        here = reverse("admin:expense_ai_statementmerge_review", args=[merge.pk])
        if request.method == "POST":
            if not self.has_change_permission(request, merge):
                raise PermissionDenied
            self._review_post(request, merge)
            return HttpResponseRedirect(here)
        review = merges.merge_review(merge)
        currency = _statement_currency(review["primary"])
        sections = []
        for item in review["duplicates"]:
            explained = item["comparison"]
            for m in explained["matched"]:
                m["amount_display"] = money_display(m["primary"]["amount"], currency)
            for r in (*explained["only_in_primary"], *explained["only_in_duplicate"]):
                r["amount_display"] = money_display(r["amount"], currency)
            for tx in item["transactions"]:
                tx.amount_display = money_display(tx.amount, tx.currency)
            sections.append({
                "file": item["file"],
                "score": explained["score"],
                "identical": explained.get("identical_bytes", False),
                "in_words": score_in_words(explained, primary=review["primary"].filename,
                                           duplicate=item["file"].filename),
                "parts": explained["parts"],
                "matched": explained["matched"],
                "only_primary": explained["only_in_primary"],
                "only_duplicate": explained["only_in_duplicate"],
                "transactions": item["transactions"],
            })
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": merge,
            "title": f"Compare statements: {merge.primary_file.filename}",
            "primary": review["primary"],
            "sections": sections,
            "strategies": MergeStrategy.choices,
            "can_approve": merge.status == MergeStatus.SUGGESTED,
            "can_complete": merge.status == MergeStatus.APPROVED,
            "can_undo": merge.status == MergeStatus.COMPLETED and "removed" in (merge.details or {}),
            "outcome": _with_money({k: (merge.details or {}).get(k) for k in ("removed", "kept", "unmatched")},
                                   currency),
            "ea_breadcrumbs": breadcrumbs(self, original=merge, here="Compare and decide"),
        }
        return TemplateResponse(request, "admin/expense_ai/statementmerge/review.html", context)

    def _review_post(self, request: HttpRequest, merge: StatementMerge) -> None:
        from ..statements.merges import purge_merge, undo_merge

        action = request.POST.get("action", "")
        if action in ("approve", "reject"):
            to = MergeStatus.APPROVED if action == "approve" else MergeStatus.REJECTED
            if self._move(request, merge, to):
                self.message_user(request, f"Merge #{merge.pk} {to}.")
        elif action == "complete":
            strategy = request.POST.get("strategy") or merge.merge_strategy
            if strategy not in MergeStrategy.values:
                self.message_user(request, f"Unknown strategy {strategy!r}.", messages.ERROR)
                return
            if merge.status == MergeStatus.APPROVED and strategy != merge.merge_strategy:
                StatementMerge.objects.filter(pk=merge.pk, status=MergeStatus.APPROVED).update(
                    merge_strategy=strategy)
                merge.merge_strategy = strategy
            remove = request.POST.getlist("remove") if strategy == MergeStrategy.MANUAL else None
            if self._move(request, merge, MergeStatus.COMPLETED, remove=remove):
                summary = merge.details.get("completed_summary", {})
                self.message_user(request, f"Merge #{merge.pk} completed: {summary.get('removed', 0)} removed, "
                                  f"{summary.get('kept', 0)} kept, {summary.get('unmatched', 0)} unmatched.")
        elif action in ("undo", "purge"):
            try:
                if action == "undo":
                    undo_merge(merge, user=acting_user(request))
                    self.message_user(request, f"Merge #{merge.pk} undone; it is approved again.")
                else:
                    dropped = purge_merge(merge, user=acting_user(request))
                    self.message_user(request, f"Merge #{merge.pk}: {dropped} stored copies purged.")
            except ExpenseAIError as err:
                self.message_user(request, f"Merge #{merge.pk}: {err}", messages.ERROR)
        else:
            self.message_user(request, f"Unknown action {action!r}.", messages.ERROR)
