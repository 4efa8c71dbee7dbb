"""The pages. Thin: read with ``for_user`` (another user's id is a 404), write through the services.

Every view is login-required. htmx requests (``HX-Request``) get the partial
they swap in; plain requests get the whole page or a redirect, so every page
also works without JavaScript and without django-htmx's middleware.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ..ai import calls as ai
from ..chat import confirm_suggestion, mention_suggestions, reject_suggestion, submit_message
from ..conf import settings
from ..exceptions import ExpenseAIError, NotYours
from ..models import (
    Budget,
    BudgetTemplate,
    Category,
    ChatMessage,
    StatementMerge,
    StatementPassword,
    StatementProcessingLog,
    TransactionSplit,
    UploadedFile,
)
from ..models.choices import (
    FileStatus,
    MergeStatus,
    MergeStrategy,
)
from ..models.swappable import ai_settings_for, preferences_for
from ..types import UserLike
from . import forms, presenters

if TYPE_CHECKING:
    from ..types import AuthenticatedRequest

CONVERSATION = "main"
#: Rows of a statement shown beside its raw text (the rest are counted).
PARSED_ROWS_SHOWN = 500
#: Characters of raw text shown.
RAW_TEXT_SHOWN = 200_000


def is_htmx(request: HttpRequest) -> bool:
    """True for an htmx request, with or without django-htmx's middleware."""
    htmx = getattr(request, "htmx", None)
    if htmx is not None:
        return bool(htmx)
    return request.headers.get("HX-Request") == "true"


def render_page(request: AuthenticatedRequest, template: str, context: dict[str, Any], *, section: str = "",
                status: int = 200, preferences: Any = None) -> TemplateResponse:
    """Render a page with what ``expense_ai/base.html`` needs (host template, preferences, section)."""
    base = {
        "expense_ai_base_template": settings.BASE_TEMPLATE,
        "expense_ai_preferences": preferences if preferences is not None else preferences_for(request.user),
        "section": section,
    }
    return TemplateResponse(request, template, {**base, **context}, status=status)


def _back(request: HttpRequest, name: str, *args: Any) -> HttpResponse:
    """After a POST: a redirect (plain) or ``HX-Redirect`` (htmx), to ``name``."""
    url = reverse(name, args=args)
    if is_htmx(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


# -- chat ---------------------------------------------------------------------------


def _chat_messages(user: UserLike) -> QuerySet[ChatMessage]:
    """The user's chat messages with what their cards show, in a fixed number of queries."""
    splits = TransactionSplit.objects.select_related("participant").order_by("pk")
    return (
        ChatMessage.objects.for_user(user)
        .filter(conversation_id=CONVERSATION)
        .select_related("related_transaction__category")
        .prefetch_related(Prefetch("related_transaction__splits", queryset=splits))
        .order_by("-created_at", "-pk")
    )


def _screenful(user: UserLike, before: int | None = None) -> tuple[list[ChatMessage], bool]:
    size = settings.CHAT_PAGE_SIZE
    qs = _chat_messages(user)
    if before is not None:
        qs = qs.filter(pk__lt=before)
    rows = list(qs[: size + 1])
    more = len(rows) > size
    return list(reversed(rows[:size])), more


@login_required
@require_http_methods(["GET", "POST"])
def chat(request: AuthenticatedRequest) -> HttpResponse:
    """The chat: history (newest at the bottom), the message box, the chat switches."""
    user = request.user
    form = forms.ChatForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            result = submit_message(user, form.cleaned_data["text"], conversation_id=CONVERSATION)
            if is_htmx(request):
                shown = list(_chat_messages(user).filter(pk__in=[result.message.pk, result.reply.pk]))
                shown.reverse()
                return TemplateResponse(request, "expense_ai/chat/_messages.html", {"chat_messages": shown})
            return redirect("expense_ai:chat")
        if is_htmx(request):
            return HttpResponse(status=204)
    rows, more = _screenful(user)
    prefs = preferences_for(user)
    prefs_form = forms.ChatPreferencesForm(
        initial={"quick_add_mode": prefs.quick_add_mode, "default_chat_parser": prefs.default_chat_parser})
    return render_page(request, "expense_ai/chat/page.html", {
        "form": form, "prefs_form": prefs_form, "chat_messages": rows, "more": more,
        "oldest": rows[0].pk if rows else None,
    }, section="chat", preferences=prefs)


@login_required
@require_GET
def chat_history(request: AuthenticatedRequest) -> HttpResponse:
    """Older messages, before ``?before=<id>`` (loaded when the user scrolls up)."""
    try:
        before = int(request.GET.get("before", ""))
    except ValueError as err:
        raise Http404("No such page of the chat.") from err
    rows, more = _screenful(request.user, before)
    return TemplateResponse(request, "expense_ai/chat/_history.html", {
        "chat_messages": rows, "more": more, "oldest": rows[0].pk if rows else None})


@login_required
@require_GET
def chat_mentions(request: AuthenticatedRequest) -> JsonResponse:
    """Autocomplete for ``@`` and ``#``: ``{"results": [{type, text, label}]}``."""
    prefix = request.GET.get("q", "")[:100]
    rows = mention_suggestions(request.user, prefix, limit=8)
    return JsonResponse({"results": [{"type": r["type"], "text": r["text"], "label": r["label"]} for r in rows]})


def _decide(request: AuthenticatedRequest, pk: int, confirm: bool) -> HttpResponse:
    message = get_object_or_404(ChatMessage.objects.for_user(request.user), pk=pk)
    try:
        result = confirm_suggestion(message) if confirm else reject_suggestion(message)
    except ExpenseAIError as err:
        if is_htmx(request):
            return HttpResponse(f'<p class="ea-error" role="alert">{_escape(err)}</p>')
        messages.error(request, str(err))
        return redirect("expense_ai:chat")
    if is_htmx(request):
        ids = [message.pk, result.reply.pk]
        shown = list(_chat_messages(request.user).filter(pk__in=ids))
        shown.reverse()
        return TemplateResponse(request, "expense_ai/chat/_messages.html", {"chat_messages": shown})
    return redirect("expense_ai:chat")


def _escape(value: Any) -> str:
    from django.utils.html import escape

    return escape(str(value))


@login_required
@require_POST
def chat_confirm(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Confirm a suggestion: the transaction is created."""
    return _decide(request, pk, True)


@login_required
@require_POST
def chat_reject(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Reject a suggestion: nothing is recorded."""
    return _decide(request, pk, False)


@login_required
@require_POST
def chat_preferences(request: AuthenticatedRequest) -> HttpResponse:
    """Switch ``quick_add_mode`` and ``default_chat_parser``."""
    form = forms.ChatPreferencesForm(request.POST)
    if form.is_valid():
        prefs = preferences_for(request.user)
        for name in ("quick_add_mode", "default_chat_parser"):
            setattr(prefs, name, form.cleaned_data[name])
        prefs.save(update_fields=["quick_add_mode", "default_chat_parser"])
        if is_htmx(request):
            return HttpResponse('<span role="status">Saved.</span>')
    elif is_htmx(request):
        return HttpResponse('<span role="alert">Choose one of the offered values.</span>', status=400)
    return redirect("expense_ai:chat")


# -- statements -----------------------------------------------------------------------


@login_required
@require_GET
def statements(request: AuthenticatedRequest) -> HttpResponse:
    """The upload form and the history of uploads with their status."""
    files = list(UploadedFile.objects.for_user(request.user).select_related("account").order_by("-created_at",
                                                                                                 "-pk")[:100])
    return render_page(request, "expense_ai/statements/list.html", {
        "files": files, "form": forms.UploadForm(user=request.user),
    }, section="statements")


@login_required
@sensitive_post_parameters("password")
@sensitive_variables()  # every local: the form and its cleaned data hold it too
@require_http_methods(["GET", "POST"])
def statement_upload(request: AuthenticatedRequest) -> HttpResponse:
    """Upload a statement (drag and drop or the file picker) and run the pipeline."""
    from ..statements import import_statement
    from ..statements.passwords import remember_password

    form = forms.UploadForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        password = data.get("password") or None
        try:
            uploaded = import_statement(request.user, data["file"], filename=data["file"].name,
                                        account=data.get("account"), password=password,
                                        review=bool(data.get("review")))
        except NotYours as err:
            form.add_error("account", str(err))
        except ExpenseAIError as err:
            form.add_error(None, str(err))
        else:
            if password and data.get("remember"):
                _remember(request, uploaded, password, data.get("password_hint", ""), remember_password)
            return _back(request, "expense_ai:statement_detail", uploaded.pk)
    return render_page(request, "expense_ai/statements/upload.html", {"form": form}, section="statements",
                       status=400 if form.errors else 200)


@sensitive_variables()  # every local: the form and its cleaned data hold it too
def _remember(
    request: AuthenticatedRequest, uploaded: UploadedFile, password: str, hint: str, remember: Callable[..., Any]
) -> None:
    try:
        entry = remember(uploaded, password, hint=hint)
    except ValidationError as err:
        messages.warning(request, f"The password was not saved: {' '.join(err.messages)}")
        return
    if entry is None:
        messages.warning(request, "The password was not saved: it was not needed or did not open the file.")
    else:
        messages.success(request, "The password is saved (encrypted) for files like this one.")


def _own_file(request: AuthenticatedRequest, pk: int) -> UploadedFile:
    return get_object_or_404(UploadedFile.objects.for_user(request.user).select_related("account"), pk=pk)


def _progress_context(uploaded: UploadedFile) -> dict[str, Any]:
    logs = list(StatementProcessingLog.objects.filter(uploaded_file=uploaded).order_by("created_at", "pk"))
    parsed = uploaded.parsed_json if isinstance(uploaded.parsed_json, dict) else {}
    currency = parsed.get("currency") or (uploaded.account.currency if uploaded.account else None)
    return {**presenters.progress(uploaded, logs), "parsed_currency": currency}


@login_required
@require_GET
def statement_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """One upload: the stages with timings (live while it runs), the result, raw text beside rows."""
    uploaded = _own_file(request, pk)
    parsed = uploaded.parsed_json if isinstance(uploaded.parsed_json, dict) else {}
    rows = parsed.get("rows") or []
    raw = uploaded.raw_text_extracted or ""
    currency = parsed.get("currency") or (uploaded.account.currency if uploaded.account else None)
    context = {
        "file": uploaded,
        **_progress_context(uploaded),
        "parsed_rows": presenters.statement_rows(rows[:PARSED_ROWS_SHOWN], currency),
        "parsed_more": max(0, len(rows) - PARSED_ROWS_SHOWN),
        "parsed_currency": currency,
        "balances": {k: parsed.get(k) for k in ("opening_balance", "closing_balance")},
        "raw_text": raw[:RAW_TEXT_SHOWN],
        "raw_cut": len(raw) > RAW_TEXT_SHOWN,
        "unlock_form": forms.UnlockForm(),
    }
    if uploaded.status == FileStatus.AWAITING_REVIEW:
        context.update(_review_context(request, uploaded))
    return render_page(request, "expense_ai/statements/detail.html", context, section="statements")


#: Mapping fields the review's panel offers (a bank profile's, see statements.formats.profiles).
MAPPING_TEXT_FIELDS = ("date", "amount", "debit", "credit", "indicator", "counterparty", "currency",
                       "fixed_currency", "balance", "reference", "posted_date", "date_format",
                       "decimal_separator", "delimiter")
MAPPING_LIST_FIELDS = ("description", "debit_markers", "credit_markers")


def _review_context(request: AuthenticatedRequest, uploaded: UploadedFile) -> dict[str, Any]:
    from ..models.ownership import usable
    from ..statements.formats.profiles import SIGN_RULES
    from ..statements.review import SURE_DUPLICATES, review_of

    review = review_of(request.user, uploaded)
    for row in review["rows"]:
        row["sure_duplicate"] = row["verdict"] in SURE_DUPLICATES
        row["amount_value"] = Decimal(row["amount"])
    mapping = review["mapping"]
    fields = []
    if mapping:
        fields = [{"name": name, "value": mapping.get(name) or ""} for name in MAPPING_TEXT_FIELDS]
        fields += [{"name": name, "value": ", ".join(mapping.get(name) or [])} for name in MAPPING_LIST_FIELDS]
    return {
        "review": review,
        "review_categories": list(usable(request.user, Category).order_by("name").values_list("pk", "name")),
        "mapping_fields": fields,
        "sign_rules": SIGN_RULES,
    }


@login_required
@require_POST
def statement_review(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Apply the review form: bulk choice, ticked rows and categories, or a new column mapping."""
    from ..statements.review import SURE_DUPLICATES, review_of, update_review

    uploaded = _own_file(request, pk)
    try:
        if "mapping" in request.POST:
            update_review(request.user, uploaded, mapping=_posted_mapping(request, uploaded))
            messages.success(request, "The rows were read again with the new column mapping.")
        elif request.POST.get("bulk"):
            update_review(request.user, uploaded, bulk=request.POST["bulk"])
        else:
            rows = review_of(request.user, uploaded)["rows"]
            ticked = {int(v) for v in request.POST.getlist("include") if v.isdigit()}
            sure = {r["row"] for r in rows if r["verdict"] in SURE_DUPLICATES}
            categories: dict[int, Any] = {}
            for row in rows:
                value = request.POST.get(f"category-{row['row']}")
                if value is not None:
                    categories[row["row"]] = int(value) if value.isdigit() else None
            update_review(
                request.user, uploaded,
                include=sorted(ticked - sure), force=sorted(ticked & sure),
                exclude=sorted({r["row"] for r in rows} - ticked), categories=categories,
            )
            if request.POST.get("commit"):
                return statement_review_commit(request, pk)
            messages.success(request, "Your choices were saved.")
    except ExpenseAIError as err:
        messages.error(request, str(err))
    return _back(request, "expense_ai:statement_detail", uploaded.pk)


def _posted_mapping(request: AuthenticatedRequest, uploaded: UploadedFile) -> dict[str, Any]:
    from ..statements.review import review_of

    mapping = dict(review_of(request.user, uploaded)["mapping"] or {})
    for name in MAPPING_TEXT_FIELDS:
        if f"map-{name}" in request.POST:
            mapping[name] = request.POST[f"map-{name}"].strip()
    for name in MAPPING_LIST_FIELDS:
        if f"map-{name}" in request.POST:
            mapping[name] = [v.strip() for v in request.POST[f"map-{name}"].split(",") if v.strip()]
    if "map-sign_rule" in request.POST:
        mapping["sign_rule"] = request.POST["map-sign_rule"]
    if "map-preamble_lines" in request.POST:
        value = request.POST["map-preamble_lines"].strip()
        mapping["preamble_lines"] = int(value) if value.isdigit() else None
    return mapping


@login_required
@require_POST
def statement_review_commit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Commit the review: create the chosen rows' transactions."""
    from ..statements.review import commit_review

    uploaded = _own_file(request, pk)
    try:
        done = commit_review(request.user, uploaded, keep_mapping_for_account=bool(request.POST.get("keep_mapping")))
    except ExpenseAIError as err:
        messages.error(request, str(err))
    else:
        messages.success(request, f"{len(done.created_transactions)} transaction(s) created.")
    return _back(request, "expense_ai:statement_detail", uploaded.pk)


@login_required
@require_GET
def statement_progress(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The stages and result partial, polled by htmx while the file is processed."""
    uploaded = _own_file(request, pk)
    context = {"file": uploaded, **_progress_context(uploaded), "unlock_form": forms.UnlockForm()}
    response = TemplateResponse(request, "expense_ai/statements/_progress.html", context)
    if not context["running"] and request.GET.get("was") == "running":
        # It finished while the page watched: reload once for the rows and raw text.
        response["HX-Refresh"] = "true"
    return response


@login_required
@sensitive_post_parameters("password")
@sensitive_variables()  # every local: the form and its cleaned data hold it too
@require_POST
def statement_unlock(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Run a locked statement again with the password the page asked for."""
    from ..statements import reprocess
    from ..statements.passwords import remember_password

    uploaded = _own_file(request, pk)
    form = forms.UnlockForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Enter the statement password.")
        return _back(request, "expense_ai:statement_detail", uploaded.pk)
    password = form.cleaned_data["password"]
    try:
        uploaded = reprocess(uploaded, password=password)
    except ExpenseAIError as err:
        messages.error(request, str(err))
    else:
        if form.cleaned_data.get("remember"):
            _remember(request, uploaded, password, form.cleaned_data.get("password_hint", ""), remember_password)
    return _back(request, "expense_ai:statement_detail", uploaded.pk)


@login_required
@require_POST
def statement_reprocess(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Run a failed or completed file through the pipeline again."""
    from ..statements import reprocess

    uploaded = _own_file(request, pk)
    try:
        reprocess(uploaded)
    except ExpenseAIError as err:
        messages.error(request, str(err))
    return _back(request, "expense_ai:statement_detail", uploaded.pk)


# -- merges ----------------------------------------------------------------------------


def _own_merges(user: UserLike) -> QuerySet[StatementMerge]:
    return StatementMerge.objects.for_user(user).filter(primary_file__user=user)


@login_required
@require_GET
def merges(request: AuthenticatedRequest) -> HttpResponse:
    """Suggested, approved and finished merges."""
    rows = list(_own_merges(request.user).select_related("primary_file")
                .prefetch_related("duplicate_files").order_by("-created_at", "-pk")[:100])
    return render_page(request, "expense_ai/merges/list.html", {
        "suggested": [m for m in rows if m.status == MergeStatus.SUGGESTED],
        "others": [m for m in rows if m.status != MergeStatus.SUGGESTED],
    }, section="merges")


@login_required
@require_http_methods(["GET", "POST"])
def merge_review(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The two statements side by side, the score in words, and the moves the status allows."""
    from ..statements import merges as merge_service

    merge = get_object_or_404(_own_merges(request.user).select_related("primary_file__account"), pk=pk)
    review = merge_service.merge_review(merge)
    removable = [tx.pk for item in review["duplicates"] for tx in item["transactions"]]
    if request.method == "POST":
        form = forms.MergeActionForm(request.POST, removable=removable)
        if not form.is_valid():
            messages.error(request, "Choose an action (and a strategy to complete).")
        else:
            _merge_move(request, merge, form.cleaned_data)
        return _back(request, "expense_ai:merge_review", merge.pk)
    return render_page(request, "expense_ai/merges/review.html", {
        "merge": merge,
        **presenters.merge_sections(merge, review),
        "strategies": MergeStrategy.choices,
    }, section="merges")


def _merge_move(request: AuthenticatedRequest, merge: StatementMerge, data: dict[str, Any]) -> None:
    from ..statements.merges import transition_merge, undo_merge

    action = data["action"]
    try:
        if action == "undo":
            undo_merge(merge, user=request.user)
            messages.success(request, "The merge is undone; the removed transactions are back.")
        elif action == "complete":
            strategy = data.get("strategy") or merge.merge_strategy
            remove = data.get("remove") if strategy == MergeStrategy.MANUAL else None
            transition_merge(merge, MergeStatus.COMPLETED, user=request.user, strategy=strategy,
                             remove=remove if remove is not None else None)
            done = merge.details.get("removed") or []
            messages.success(request, f"Merged: {len(done)} duplicate transaction(s) removed.")
        else:
            to = MergeStatus.APPROVED if action == "approve" else MergeStatus.REJECTED
            transition_merge(merge, to, user=request.user)
            messages.success(request, f"The merge is {to}.")
    except ExpenseAIError as err:
        messages.error(request, str(err))


# -- budgets ---------------------------------------------------------------------------


@login_required
@require_GET
def budgets(request: AuthenticatedRequest) -> HttpResponse:
    """Template gallery, budget vs actual, monthly totals of the last 12 months, the suggestion."""
    user = request.user
    templates = list(BudgetTemplate.objects.for_user(user).active().order_by("-is_system", "name", "pk"))
    own_budgets = list(Budget.objects.for_user(user).order_by("-start_date", "-pk")[:24])
    chosen = None
    wanted = request.GET.get("budget")
    if wanted:
        chosen = next((b for b in own_budgets if str(b.pk) == wanted), None)
        if chosen is None:
            chosen = get_object_or_404(Budget.objects.for_user(user), pk=wanted) if wanted.isdigit() else None
            if chosen is None:
                raise Http404("No such budget.")
    elif own_budgets:
        chosen = own_budgets[0]
    prefs = preferences_for(user)
    context = {
        "templates": presenters.template_cards(templates),
        "budgets": own_budgets,
        "budget": chosen,
        "report": presenters.budget_chart(chosen) if chosen else None,
        "months": presenters.last_twelve_months(user, prefs.default_currency, timezone.localdate()),
        "apply_form": forms.ApplyTemplateForm(),
        "suggest_form": forms.SuggestBudgetForm(),
        "ai_opted_in": bool(ai_settings_for(user).ai_opt_in_at),
    }
    return render_page(request, "expense_ai/budgets/page.html", context, section="budgets", preferences=prefs)


@login_required
@require_POST
def budget_apply(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Apply a template (a system one or the user's own) with a monthly income."""
    from ..budgets import apply_template

    template = get_object_or_404(BudgetTemplate.objects.for_user(request.user).active(), pk=pk)
    form = forms.ApplyTemplateForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Enter a monthly income (and a start date).")
        return _back(request, "expense_ai:budgets")
    try:
        budget = apply_template(template, request.user, monthly_income=form.cleaned_data["monthly_income"],
                                start_date=form.cleaned_data["start_date"])
    except ExpenseAIError as err:
        messages.error(request, str(err))
        return _back(request, "expense_ai:budgets")
    messages.success(request, f"Budget “{budget.name}” created from the template.")
    return _budget_redirect(request, budget)


def _budget_redirect(request: AuthenticatedRequest, budget: Budget) -> HttpResponse:
    url = f"{reverse('expense_ai:budgets')}?budget={budget.pk}"
    if is_htmx(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


@login_required
@require_POST
def budget_suggest(request: AuthenticatedRequest) -> HttpResponse:
    """A suggested budget: the user's AI provider when opted in, else their own history."""
    from ..budgets import suggest_budget

    form = forms.SuggestBudgetForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Enter a monthly income.")
        return _back(request, "expense_ai:budgets")
    try:
        budget = suggest_budget(request.user, monthly_income=form.cleaned_data["monthly_income"])
    except ExpenseAIError as err:
        messages.error(request, str(err))
        return _back(request, "expense_ai:budgets")
    return _budget_redirect(request, budget)


# -- settings --------------------------------------------------------------------------


def _settings_context(request: AuthenticatedRequest, **forms_given: Any) -> dict[str, Any]:
    from ..models.host import provider_choices

    user = request.user
    ai_settings = ai_settings_for(user)
    prefs = preferences_for(user)
    choices = provider_choices()
    keys_form = forms_given.get("keys_form") or forms.KeysForm(
        provider_choices=choices, initial={"active_parser_provider": ai_settings.active_parser_provider})
    return {
        "preferences": prefs,
        "ai_settings": ai_settings,
        "keys": presenters.key_rows(ai_settings),
        "keys_form": keys_form,
        "consent": presenters.consent(ai_settings, dict(choices)),
        "passwords": list(StatementPassword.objects.for_user(user).select_related("account")),
        "password_form": forms_given.get("password_form") or forms.PasswordBookForm(user=user),
        "prefs_form": forms_given.get("prefs_form") or forms.PreferencesForm(initial={
            "default_currency": prefs.default_currency, "sidebar_collapsed": prefs.sidebar_collapsed,
            "quick_add_mode": prefs.quick_add_mode, "default_chat_parser": prefs.default_chat_parser,
            "review_uploads": prefs.review_uploads}),
    }


@login_required
@require_GET
def settings_page(request: AuthenticatedRequest) -> HttpResponse:
    """AI keys, the AI opt-in, statement passwords, preferences."""
    context = _settings_context(request)
    return render_page(request, "expense_ai/settings/page.html", context, section="settings",
                       preferences=context["preferences"])


@login_required
@sensitive_post_parameters("openai_key", "claude_key", "gemini_key")
@sensitive_variables()  # every local: the form and its cleaned data hold the keys
@require_POST
def settings_keys(request: AuthenticatedRequest) -> HttpResponse:
    """Save the provider and any key typed (write-only; ``-`` clears one)."""
    from ..models.host import provider_choices

    form = forms.KeysForm(request.POST, provider_choices=provider_choices())
    if not form.is_valid():
        return render_page(request, "expense_ai/settings/page.html", _settings_context(request, keys_form=form),
                           section="settings", status=400)
    ai_settings = ai_settings_for(request.user)
    ai_settings.active_parser_provider = form.cleaned_data["active_parser_provider"]
    for provider in ("openai", "claude", "gemini"):
        value = form.cleaned_data.get(f"{provider}_key")
        if value == "-":
            ai_settings.set_api_key(provider, None)
        elif value:
            ai_settings.set_api_key(provider, value)
    ai_settings.save()
    messages.success(request, "AI settings saved. Keys are stored encrypted and never shown again.")
    return _back(request, "expense_ai:settings")


@login_required
@require_POST
def settings_test_keys(request: AuthenticatedRequest) -> HttpResponse:
    """Test each saved key with one cheap request; the result per provider is shown."""
    ai_settings = ai_settings_for(request.user)
    statuses = ai.test_api_keys(ai_settings)
    if is_htmx(request):
        return TemplateResponse(request, "expense_ai/settings/_key_results.html",
                                {"keys": presenters.key_rows(ai_settings), "tested": bool(statuses)})
    if not statuses:
        messages.info(request, "No key to test: save a key or choose a provider first.")
    return redirect("expense_ai:settings")


@login_required
@require_POST
def settings_consent(request: AuthenticatedRequest) -> HttpResponse:
    """Opt in to (or out of) sending data to the chosen AI provider."""
    if request.POST.get("consent") == "in":
        ai.opt_in(request.user)
        messages.success(request, "You opted in. You can withdraw at any time.")
    else:
        ai.opt_out(request.user)
        messages.success(request, "You opted out: nothing of yours is sent to an AI provider.")
    return _back(request, "expense_ai:settings")


@login_required
@sensitive_post_parameters("password")
@sensitive_variables()  # every local: the form and its cleaned data hold it too
@require_POST
def settings_password_add(request: AuthenticatedRequest) -> HttpResponse:
    """Add a statement password (hint, pattern, account); it is never shown again."""
    form = forms.PasswordBookForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            form.save(request.user)
        except ValidationError as err:
            form.add_error(None, err)
        else:
            messages.success(request, "Password saved (encrypted).")
            return _back(request, "expense_ai:settings")
    return render_page(request, "expense_ai/settings/page.html", _settings_context(request, password_form=form),
                       section="settings", status=400)


@login_required
@require_POST
def settings_password_delete(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Delete one of the user's stored statement passwords."""
    entry = get_object_or_404(StatementPassword.objects.for_user(request.user), pk=pk)
    entry.delete()
    messages.success(request, "Password deleted.")
    return _back(request, "expense_ai:settings")


@login_required
@require_POST
def settings_preferences(request: AuthenticatedRequest) -> HttpResponse:
    """Save the user's preferences."""
    form = forms.PreferencesForm(request.POST)
    if not form.is_valid():
        return render_page(request, "expense_ai/settings/page.html", _settings_context(request, prefs_form=form),
                           section="settings", status=400)
    prefs = preferences_for(request.user)
    for name, value in form.cleaned_data.items():
        setattr(prefs, name, value)
    prefs.save(update_fields=list(form.cleaned_data))
    messages.success(request, "Preferences saved.")
    return _back(request, "expense_ai:settings")


@login_required
@require_POST
def sidebar_toggle(request: AuthenticatedRequest) -> HttpResponse:
    """Collapse or expand the sidebar (the ``sidebar_collapsed`` preference)."""
    prefs = preferences_for(request.user)
    prefs.sidebar_collapsed = not prefs.sidebar_collapsed
    prefs.save(update_fields=["sidebar_collapsed"])
    back = request.POST.get("next") or reverse("expense_ai:chat")
    from django.utils.http import url_has_allowed_host_and_scheme

    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = reverse("expense_ai:chat")
    return redirect(back)


@login_required
@require_GET
def home(request: AuthenticatedRequest) -> HttpResponse:
    """The package's root: the chat."""
    return redirect("expense_ai:chat")


