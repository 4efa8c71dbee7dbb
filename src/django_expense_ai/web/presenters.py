"""What the pages show, shaped from service results: stages, words for a score, chart data.

Presentation only: no writes, and every read is of rows the view already
scoped to the user (or a report service called with that user).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ..budgets.allocations import clean_allocations, percentages_of
from ..exceptions import ExpenseAIError
from ..models.choices import FileStatus, LogStatus, MergeStatus, ProcessingStage
from ..money import money_str, to_decimal
from ..types import UserOrId

_RUNNING = (FileStatus.PENDING, FileStatus.QUEUED, FileStatus.PROCESSING)

#: What the user can do when a stage failed (the error message says what happened).
_WHAT_TO_DO = {
    ProcessingStage.UPLOAD: "Check that the file is the statement as downloaded from the bank (PDF, CSV, OFX or "
                            "QFX) and under the size limit, then upload it again.",
    ProcessingStage.PASSWORD_DECRYPT: "Enter the statement's password below and run it again.",
    ProcessingStage.TEXT_EXTRACTION: "The file could not be read. Download it from the bank again; a scanned "
                                     "PDF without text cannot be imported.",
    ProcessingStage.PARSE_ATTEMPT: "No transactions were recognised. Try the CSV or OFX export of the same "
                                   "statement, or turn on AI parsing in Settings.",
    ProcessingStage.AI_PARSE: "The AI provider could not read it. Test your keys in Settings, or try a CSV/OFX "
                              "export.",
    ProcessingStage.VALIDATION: "Some rows are not valid (the message names them). Fix the export or use another "
                                "format.",
    ProcessingStage.DEDUPLICATION: "Run it again; if it fails again, report the message.",
    ProcessingStage.TRANSACTION_CREATION: "Nothing was created. Run it again; another import may have been "
                                          "running at the same time.",
    ProcessingStage.COMPLETION: "Run it again.",
}

_REASONS = {
    "bank_id": "the bank's own transaction id is already in your ledger",
    "fingerprint": "the same date, amount and description are already in your ledger",
    "fuzzy": "a transaction with the same amount, a close date and a similar description exists",
    "same_upload": "the same row appears earlier in this file",
}


def _reason(code: str) -> str:
    return _REASONS.get(code, code.replace("_", " "))


def progress(uploaded: Any, logs: list[Any]) -> dict[str, Any]:
    """The nine stages of the file's latest run with status and time, and the result.

    :param logs: all the file's processing logs, oldest first (one query).
    :returns: ``stages`` (nine dicts in pipeline order), ``running``, ``result``.
    """
    # A reprocess starts again at "upload": the latest run is from the last upload log on.
    starts = [i for i, log in enumerate(logs) if log.processing_stage == ProcessingStage.UPLOAD]
    latest = logs[starts[-1]:] if starts else logs
    by_stage = {log.processing_stage: log for log in latest}
    stages = []
    total_ms = 0
    for value, label in ProcessingStage.choices:
        log = by_stage.get(value)
        ms = log.execution_time_ms if log is not None else None
        total_ms += ms or 0
        stages.append({"key": value, "label": label, "status": log.status if log else "waiting",
                       "ms": ms, "note": _stage_note(log)})
    running = uploaded.status in _RUNNING
    dedup = by_stage.get(ProcessingStage.DEDUPLICATION)
    completion = by_stage.get(ProcessingStage.COMPLETION)
    summary = (completion.details or {}) if completion is not None else {}
    skipped = []
    if dedup is not None and isinstance(dedup.details, dict):
        for row in (dedup.details.get("skipped") or [])[:200]:
            skipped.append({**row, "date": _as_date(row.get("date")), "why": _reason(str(row.get("reason", "")))})
    result = {
        "found": summary.get("found"),
        "created": summary.get("created"),
        "duplicates": summary.get("duplicates", len(skipped)),
        "skipped": skipped,
        "note": summary.get("note"),
        # The very same bytes were imported before: nothing was read again.
        "same_file_as": summary.get("duplicate_of") if not summary.get("found") and summary.get("note") else None,
        "error_stage": uploaded.error_stage,
        "error_label": dict(ProcessingStage.choices).get(uploaded.error_stage, uploaded.error_stage),
        "error_message": uploaded.error_message,
        "what_to_do": _WHAT_TO_DO.get(uploaded.error_stage, ""),
        "needs_password": uploaded.status == FileStatus.FAILED
        and uploaded.error_stage == ProcessingStage.PASSWORD_DECRYPT,
    }
    return {"stages": stages, "running": running, "total_ms": total_ms, "result": result}


def _stage_note(log: Any) -> str:
    if log is None or not isinstance(log.details, dict):
        return ""
    details = log.details
    if log.status == LogStatus.SKIPPED:
        return str(details.get("reason", ""))[:200]
    if log.processing_stage == ProcessingStage.PARSE_ATTEMPT and details.get("parser"):
        return f"{details.get('parser')}: {details.get('rows', details.get('found', ''))} rows".strip()
    if log.processing_stage == ProcessingStage.DEDUPLICATION and "duplicates" in details:
        return f"{details.get('new', 0)} new, {details['duplicates']} duplicates"
    if log.processing_stage == ProcessingStage.COMPLETION and "created" in details:
        return f"{details.get('created', 0)} created"
    return ""


# -- merges ------------------------------------------------------------------------------


def _pct(value: Any) -> str:
    try:
        return f"{(to_decimal(value) * 100).quantize(Decimal('1'))}%"
    except ExpenseAIError:
        return "?"


def score_in_words(comparison: dict[str, Any], currency: str | None = None) -> list[str]:
    """The similarity score explained in sentences, from :meth:`Comparison.explain`."""
    parts = comparison.get("parts", {})
    rows, period, totals = parts.get("rows", {}), parts.get("period", {}), parts.get("totals", {})
    matched = len(comparison.get("matched", []))
    words = [
        f"{matched} of the duplicate's {rows.get('rows_duplicate', '?')} rows match rows of the primary's "
        f"{rows.get('rows_primary', '?')} ({_pct(rows.get('value'))} of the rows, weight {_pct(rows.get('weight'))}).",
    ]
    p, d = period.get("primary"), period.get("duplicate")
    if p and d:
        words.append(f"The statement periods ({p[0]} to {p[1]} and {d[0]} to {d[1]}) overlap by "
                     f"{_pct(period.get('value'))} (weight {_pct(period.get('weight'))}).")
    else:
        words.append("One of the files has no dates, so their periods cannot be compared.")
    from ..templatetags.expense_ai import format_money

    gross = [format_money(totals.get(k), currency) for k in ("gross_primary", "gross_duplicate")]
    words.append(f"Their money moved in total ({gross[0]} and {gross[1]}) "
                 f"agrees by {_pct(totals.get('value'))} (weight {_pct(totals.get('weight'))}).")
    if comparison.get("identical_bytes"):
        words.append("The two files are byte for byte the same.")
    words.append(f"Together: a score of {comparison.get('score')} out of 100.")
    return words


def merge_sections(merge: Any, review: dict[str, Any]) -> dict[str, Any]:
    """Side-by-side rows and the words for each duplicate file of a merge."""
    sections = []
    currency = file_currency(review["primary"])
    for item in review["duplicates"]:
        comparison = item["comparison"]
        dup_currency = file_currency(item["file"]) or currency
        pairs = [{"primary": _row(m.get("primary"), currency), "duplicate": _row(m.get("duplicate"), dup_currency),
                  "tier": m.get("tier")}
                 for m in comparison.get("matched", [])]
        sections.append({
            "file": item["file"],
            "score": comparison.get("score"),
            "words": score_in_words(comparison, currency),
            "pairs": pairs,
            "only_primary": [_row(r, currency) for r in comparison.get("only_in_primary", [])],
            "only_duplicate": [_row(r, dup_currency) for r in comparison.get("only_in_duplicate", [])],
            "transactions": item["transactions"],
        })
    details = merge.details or {}
    return {
        "primary": review["primary"],
        "sections": sections,
        "can_approve": merge.status == MergeStatus.SUGGESTED,
        "can_complete": merge.status == MergeStatus.APPROVED,
        "can_undo": merge.status == MergeStatus.COMPLETED and "removed" in details,
        "outcome": {k: len(details.get(k) or []) for k in ("removed", "kept", "unmatched")},
    }


# -- budgets -----------------------------------------------------------------------------


def template_cards(templates: list[Any]) -> list[dict[str, Any]]:
    """Each template with its allocation as chart data (labels, percentages as decimal strings)."""
    cards = []
    for template in templates:
        try:
            allocations = clean_allocations(template.category_allocations)
            percents = percentages_of(allocations)
        except ExpenseAIError:
            continue  # an invalid template cannot be applied either
        labels = [str(allocations[key].get("name") or key) for key in percents]
        cards.append({
            "template": template,
            "chart": {"labels": labels, "values": [money_str(v) for v in percents.values()]},
            "chart_id": f"ea-template-{template.pk}",
            "data_id": f"ea-template-{template.pk}-data",
            "summary": ", ".join(f"{label} {money_str(v)}%" for label, v in zip(labels, percents.values(), strict=True)),
        })
    return cards


def budget_chart(budget: Any) -> dict[str, Any]:
    """Budget vs actual: the report and chart data, over-budget categories marked."""
    from ..budgets import budget_report

    report = budget_report(budget)
    lines = []
    for line in report.lines:
        # Over budget: more spent than allocated; spending in a category the budget has no money for is
        # "not budgeted" (shown, but not counted as over).
        over = line.allocated > 0 and line.spent > line.allocated
        lines.append({"line": line, "over": over, "unbudgeted": line.allocated == 0 and line.spent > 0})
    return {
        "report": report,
        "lines": lines,
        "chart": {
            "labels": [item["line"].name for item in lines],
            "allocated": [money_str(item["line"].allocated) for item in lines],
            "spent": [money_str(item["line"].spent) for item in lines],
            "over": [item["over"] for item in lines],
        },
        "over_count": sum(1 for item in lines if item["over"]),
        "reasoning": suggestion_reasoning(budget.ai_generation_context or {}),
    }


def last_twelve_months(user: UserOrId, currency: str, today: dt.date) -> dict[str, Any]:
    """Regular totals (money in minus money out) per month over the last 12 months, in ``currency``."""
    from ..ledger.reports import regular_totals_by_month

    code = (currency or "").upper()
    first = (today.replace(day=1) - dt.timedelta(days=330)).replace(day=1)
    while (today.year - first.year) * 12 + today.month - first.month > 11:
        first = (first + dt.timedelta(days=32)).replace(day=1)
    labels, values, rows = [], [], []
    for year, month, total, count in regular_totals_by_month(user, first, today, code):
        label = dt.date(year, month, 1)
        labels.append(label.strftime("%b %Y"))
        values.append(money_str(total))
        rows.append({"month": label, "total": total, "count": count})
    return {"labels": labels, "values": values, "rows": rows, "currency": code}


# -- settings ----------------------------------------------------------------------------

_VENDORS = {
    "openai": ("OpenAI", "OpenAI, L.L.C. (api.openai.com, USA)"),
    "claude": ("Anthropic Claude", "Anthropic PBC (api.anthropic.com, USA)"),
    "gemini": ("Google Gemini", "Google LLC (generativelanguage.googleapis.com)"),
}


def key_rows(ai_settings: Any) -> list[dict[str, Any]]:
    """One row per provider: whether a key is saved (never the key) and the last test's result."""
    statuses = ai_settings.api_key_test_status if isinstance(ai_settings.api_key_test_status, dict) else {}
    rows = []
    # The three key columns, then any other provider tested (a plugin's, chosen as the active one).
    names = ["openai", "claude", "gemini", *sorted(n for n in statuses if n not in _VENDORS)]
    for name in names:
        status = statuses.get(name)
        if isinstance(status, str):  # older rows stored a bare word
            status = {"status": status}
        rows.append({
            "name": name, "label": _VENDORS.get(name, (name,))[0], "saved": ai_settings.has_api_key(name),
            "status": status or {},
        })
    return rows


def consent(ai_settings: Any, choices: dict[str, str]) -> dict[str, Any]:
    """What opting in sends, to whom, and when."""
    from ..conf import settings

    provider = ai_settings.active_parser_provider or "system"
    vendor = _VENDORS.get(provider, (choices.get(provider, provider), choices.get(provider, provider)))[1]
    return {
        "opted_in_at": ai_settings.ai_opt_in_at,
        "provider": provider,
        "provider_label": choices.get(provider, provider),
        "vendor": vendor,
        "site_enabled": bool(settings.AI_ENABLED),
        "sent": [
            "the text of the statements you upload, when the built-in readers cannot read them, with account "
            "and card numbers masked before it leaves this site;",
            "the chat messages you type, when the chat's parsing is set to AI;",
            "your monthly income, currency and category names, when you ask for a suggested budget.",
        ],
        "never": "Your password, your stored statement passwords and other users' data are never sent. "
                 "Testing keys sends only the key.",
    }


def _as_date(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return value
    return value


def statement_rows(rows: list[dict[str, Any]], currency: str | None) -> list[dict[str, Any]]:
    """Parsed rows of ``parsed_json`` for display: dates as dates, each row with a currency."""
    return [{**row, "date": _as_date(row.get("date")), "currency": row.get("currency") or currency}
            for row in rows if isinstance(row, dict)]


_FALLBACK = {
    "no_provider": "No AI provider is chosen (Settings), so your own history was used.",
    "provider_failed": "Your AI provider could not answer, so your own history was used",
    "invalid_answer": "Your AI provider's answer did not add up to a budget, so your own history was used",
}


def suggestion_reasoning(context: dict[str, Any]) -> list[str]:
    """Why a suggested budget looks the way it does, in sentences, from ``ai_generation_context``."""
    if not isinstance(context, dict):
        return []
    words = []
    method = context.get("method")
    if method == "ai":
        model = f" ({context.get('model')})" if context.get("model") else ""
        words.append(f"Suggested by your AI provider {context.get('provider', '')}{model} from your monthly income, "
                     "currency and category names.")
    elif method == "plugin":
        words.append("Suggested by a plugin of this site.")
    elif method == "heuristic":
        window = context.get("window") or {}
        if context.get("basis") == "template":
            words.append(f"You have no spending history in this currency yet, so the best-fitting template "
                         f"“{context.get('template')}” was used.")
        else:
            words.append(f"Each category gets what you spent on it from {window.get('start')} to "
                         f"{window.get('end')}, per month; what is left is savings ({context.get('savings')}).")
            if context.get("scaled_down"):
                words.append("You spent more than this income, so every category was scaled down to fit.")
    reason = context.get("fallback_reason")
    if reason:
        error = (context.get("provider_error") or {}).get("message")
        text = _FALLBACK.get(reason, f"The AI provider was not used ({reason}).")
        words.append(f"{text}: {error}" if error and not text.endswith(".") else text)
    return words


def file_currency(uploaded: Any) -> str | None:
    """The currency of an uploaded file's rows: what the parser found, else its account's."""
    parsed = uploaded.parsed_json if isinstance(uploaded.parsed_json, dict) else {}
    account = getattr(uploaded, "account", None) if uploaded.account_id else None
    return parsed.get("currency") or (account.currency if account is not None else None)


def _row(row: Any, currency: str | None) -> dict[str, Any]:
    row = row if isinstance(row, dict) else {}
    return {"date": _as_date(row.get("date")), "description": row.get("description", ""),
            "amount": row.get("amount"), "currency": row.get("currency") or currency}
