"""Budget services: load and rank templates, apply one, suggest a budget, compare with spending.

Every function that writes does so in one ``transaction.atomic`` block after
all reading, validating and (for :func:`suggest_budget`) the AI call are done:
a provider call is network I/O and never runs inside a transaction.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, NamedTuple

from django.db import DEFAULT_DB_ALIAS, transaction
from django.db.models import F, Q, Sum
from django.utils import timezone

from .. import plugins
from ..ai import calls as ai
from ..conf import settings
from ..exceptions import (
    BudgetError,
    DecryptionError,
    MoneyError,
    NotYours,
    ProviderError,
    ReadOnlyRow,
    UnexpectedField,
    UnknownKey,
)
from ..ledger.categories import SYSTEM_CATEGORIES
from ..ledger.report_cache import cached_budget_report
from ..ledger.splits.arithmetic import split_amount
from ..models import Budget, BudgetPeriod, BudgetTemplate, BudgetType, Category, Transaction, ownership
from ..models.swappable import preferences_for
from ..money import is_known_currency, jsonable, money_str, normalize_currency, quantize, to_decimal
from ..types import UserLike, UserOrId
from .allocations import (
    AI_PERCENT_TOLERANCE,
    check_suggestion,
    clean_allocations,
    default_end_date,
    percent_str,
    percentages_of,
    score_template,
)
from .heuristic import HISTORY_MONTHS, allocate_by_spending, history_window
from .templates_data import SYSTEM_TEMPLATES

#: Category keys that are never spending (salary lands there).
INCOME_KEYS = frozenset({"income"})
#: Where uncategorised spending goes in a heuristic budget.
UNCATEGORISED_KEY = "other"
TEMPLATE_SOURCE_MAX = 100


# -- small helpers ------------------------------------------------------------


def _currency(user: UserLike, currency: str | None) -> str:
    if not currency:
        currency = getattr(preferences_for(user), "default_currency", "") or settings.DEFAULT_CURRENCY
    return normalize_currency(currency)  # raises UnknownCurrency


def _monthly_income(value: Any, currency: str) -> Decimal:
    try:
        amount = quantize(to_decimal(value), currency, strict=True)
    except MoneyError as err:
        raise BudgetError(f"Monthly income {value!r} is not an amount in {currency}: {err}",
                          code="invalid_income") from err
    if amount <= 0:
        raise BudgetError(f"Monthly income must be positive, not {amount}.", code="invalid_income")
    return amount


def _period(start_date: dt.date, end_date: dt.date | None) -> tuple[dt.date, str]:
    default_end = default_end_date(start_date)
    end = end_date or default_end
    if end < start_date:
        raise BudgetError(f"The budget ends ({end}) before it starts ({start_date}).", code="invalid_period")
    return end, BudgetPeriod.MONTHLY if end == default_end else BudgetPeriod.CUSTOM


def _ensure_categories(user: UserLike, names: Mapping[str, str]) -> None:
    """Give ``user`` a category for every key: a system one when it exists, else their own."""
    keys = list(names)
    have = set(
        Category.objects.filter(Q(user__isnull=True) | Q(user=user), key__in=keys).values_list("key", flat=True)
    )
    for key in keys:
        if key not in have:
            # get_or_create: a concurrent apply for the same user may create it first.
            Category.objects.get_or_create(user=user, key=key, defaults={"name": names[key][:100]})


def _allocate(income: Decimal, currency: str, percents: Mapping[str, Decimal],
              names: Mapping[str, str]) -> dict[str, dict[str, str]]:
    amounts = split_amount(income, "percentage", list(percents.values()), currency=currency)
    return {
        key: {"name": names.get(key, key), "amount": money_str(amount), "percentage": percent_str(percent)}
        for (key, percent), amount in zip(percents.items(), amounts, strict=True)
    }


def _names(user: UserOrId, keys: Iterable[str]) -> dict[str, str]:
    keys = list(keys)
    found: dict[str, str] = {}
    # The user's own name wins over the system one for the same key.
    own_or_system = Q(user=user) | Q(user__isnull=True)  # user or user id
    for key, name, owner in Category.objects.filter(own_or_system, key__in=keys).values_list(
        "key", "name", "user_id"
    ):
        if key not in found or owner is not None:
            found[key] = name
    return {key: found.get(key) or SYSTEM_CATEGORIES.get(key) or key for key in keys}


# -- templates ----------------------------------------------------------------


def load_system_templates(*, using: str = DEFAULT_DB_ALIAS, update: bool = True) -> tuple[int, int]:
    """Upsert the shipped templates (:data:`templates_data.SYSTEM_TEMPLATES`) by name.

    Rows are matched by ``name`` among ``is_system=True`` templates;
    ``usage_count`` and ``is_active`` are never touched.

    :param update: rewrite existing system templates whose data differs from
        the shipped data (``False``: only create missing ones, what
        ``post_migrate`` does so an administrator's edits survive a migrate).
    :returns: ``(created, updated)``.
    :raises BudgetError: a shipped template is invalid (a bug in the library).
    """
    shipped = []
    for data in SYSTEM_TEMPLATES:
        fields = {
            "description": data.get("description", ""),
            "category_allocations": clean_allocations(data["category_allocations"]),
            "target_income_range": dict(data.get("target_income_range") or {}),
            "location_tags": list(data.get("location_tags") or []),
        }
        shipped.append((data["name"], fields))
    manager = BudgetTemplate.objects.using(using)
    existing = {row.name: row for row in manager.filter(is_system=True, name__in=[n for n, _ in shipped])}
    created: list[BudgetTemplate] = []
    changed: list[tuple[BudgetTemplate, dict[str, Any]]] = []
    for name, fields in shipped:
        row = existing.get(name)
        if row is None:
            created.append(BudgetTemplate(name=name, is_system=True, created_by=None, **fields))
        elif update and any(getattr(row, k) != v for k, v in fields.items()):
            changed.append((row, fields))
    if created or changed:  # nothing to write: no transaction at all (the usual post_migrate case)
        with transaction.atomic(using=using):
            for row, fields in changed:
                for k, v in fields.items():
                    setattr(row, k, v)
                row.save(using=using, update_fields=[*fields, "updated_at"])
            manager.bulk_create(created)
    return len(created), len(changed)


def create_template(
    user: UserLike,
    *,
    name: str,
    category_allocations: Any,
    description: str = "",
    target_income_range: Mapping[str, Any] | None = None,
    location_tags: Iterable[str] = (),
) -> BudgetTemplate:
    """Create a user's own template (``is_system=False``, ``created_by=user``).

    :returns: the saved :class:`BudgetTemplate`, allocations normalised.
    :raises BudgetError: empty name, or allocations that
        :func:`~django_expense_ai.budgets.allocations.clean_allocations` refuses.
    """
    if not name or not name.strip():
        raise BudgetError("A template needs a name.", code="no_name")
    allocations = clean_allocations(category_allocations)
    return BudgetTemplate.objects.create(
        name=name.strip()[:200],
        description=description,
        is_system=False,
        created_by=user,
        category_allocations=allocations,
        target_income_range=jsonable(dict(target_income_range or {})),
        location_tags=[str(t) for t in location_tags],
    )


class TemplateSuggestion(NamedTuple):
    """One ranked template: ``(template, score, reasons)``."""

    template: BudgetTemplate
    score: Decimal
    reasons: tuple[str, ...]


def template_suggestions(
    income: Any,
    currency: str,
    tags: Iterable[str] = (),
    *,
    user: UserLike | None = None,
    period: str = "year",
    limit: int | None = None,
) -> list[TemplateSuggestion]:
    """Rank active templates by how well they fit an income and tags.

    Scoring is :func:`~django_expense_ai.budgets.allocations.score_template`:
    income within the template's range (yearly, same currency; ranges in
    another currency are not converted and rank lower), shared tags, usage.

    :param income: the income, yearly unless ``period="month"`` (then ×12).
    :param user: also rank the user's own templates (else system ones only).
    :returns: :class:`TemplateSuggestion` tuples, best first (ties: more used,
        then name).
    :raises BudgetError: ``income`` is not a non-negative amount or ``period``
        is not ``year``/``month``.
    :raises UnknownCurrency: ``currency`` is not an ISO 4217 code.
    """
    code = normalize_currency(currency)
    try:
        amount = to_decimal(income)
    except MoneyError as err:
        raise BudgetError(f"Income {income!r} is not an amount.", code="invalid_income") from err
    if amount < 0:
        raise BudgetError(f"Income cannot be negative ({amount}).", code="invalid_income")
    if period not in ("year", "month"):
        raise BudgetError(f"Unknown income period {period!r}; use 'year' or 'month'.")
    yearly = amount * 12 if period == "month" else amount
    qs = BudgetTemplate.objects.active()
    qs = qs.for_user(user) if user is not None else qs.filter(is_system=True)
    wanted = [str(t) for t in tags]
    ranked = []
    for template in qs:
        fit = score_template(
            income_range=template.target_income_range if isinstance(template.target_income_range, dict) else {},
            template_tags=[str(t) for t in (template.location_tags or [])],
            usage_count=template.usage_count,
            income=yearly,
            currency=code,
            tags=wanted,
        )
        ranked.append(TemplateSuggestion(template, fit.score, fit.reasons))
    ranked.sort(key=lambda s: (-s.score, -s.template.usage_count, s.template.name, s.template.pk))
    return ranked[:limit] if limit is not None else ranked


def apply_template(
    template: BudgetTemplate,
    user: UserLike,
    *,
    monthly_income: Any,
    start_date: dt.date,
    end_date: dt.date | None = None,
    currency: str | None = None,
    name: str | None = None,
) -> Budget:
    """Create a budget for ``user`` from ``template``.

    The budget's ``amount`` is ``monthly_income``; each category gets its
    percentage of it, split with
    :func:`~django_expense_ai.ledger.splits.split_amount` so the amounts add up to
    the income exactly. Categories the user lacks are created as their own
    (a system category with the key is used when it exists). The template's
    ``usage_count`` is incremented with ``F()`` in the same transaction.

    :param end_date: default: one month (see
        :func:`~django_expense_ai.budgets.allocations.default_end_date`).
    :param currency: default: the user's ``UserPreferences.default_currency``.
    :returns: the new :class:`Budget` (``budget_type="template"``).
    :raises NotYours: another user's template ("no such template").
    :raises BudgetError: inactive template, invalid
        allocations, income not positive or with too many decimals, or an
        end before the start.
    :raises UnknownCurrency: ``currency`` is not an ISO 4217 code.
    """
    if not template.is_active:
        raise BudgetError(f"Template {template.name!r} is inactive.", code="inactive_template")
    if not template.is_system and template.created_by_id != getattr(user, "pk", None):
        raise NotYours("No such budget template.")
    allocations = clean_allocations(template.category_allocations)
    code = _currency(user, currency)
    income = _monthly_income(monthly_income, code)
    end, period = _period(start_date, end_date)
    names = {key: entry["name"] for key, entry in allocations.items()}
    category_allocations = _allocate(income, code, percentages_of(allocations), names)
    with transaction.atomic():
        _ensure_categories(user, names)
        budget = Budget.objects.create(
            user=user,
            name=(name or template.name)[:200],
            period=period,
            start_date=start_date,
            end_date=end,
            amount=income,
            currency=code,
            budget_type=BudgetType.TEMPLATE,
            category_allocations=category_allocations,
            template_source=template.name[:TEMPLATE_SOURCE_MAX],
        )
        # F(): concurrent applications each add one; a read-modify-write would lose counts.
        BudgetTemplate.objects.filter(pk=template.pk).update(usage_count=F("usage_count") + 1)
    template.refresh_from_db(fields=["usage_count"])
    return budget


# -- spending -----------------------------------------------------------------


def _spending(user: UserOrId, start: dt.date, end: dt.date) -> dict[str, dict[str | None, Decimal]]:
    """Regular spending of ``user``'s own transactions, ``start <= date <= end``.

    :returns: ``{currency: {category key or None: spent}}``, money out
        positive. In a category, refunds (positive amounts) reduce spending;
        uncategorised, only money out counts (money in there is income); the
        ``income`` category and excluded transactions never count.
    """
    rows = (
        Transaction.objects.filter(user=user, date__gte=start, date__lte=end, exclude_from_totals=False)
        .values("category__key", "currency")
        .annotate(net=Sum("amount"), out=Sum("amount", filter=Q(amount__lt=0)))
        .order_by()
    )
    result: dict[str, dict[str | None, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for row in rows:
        key = row["category__key"]
        if key in INCOME_KEYS:
            continue
        spent = -(row["net"] or Decimal(0)) if key is not None else -(row["out"] or Decimal(0))
        result[(row["currency"] or "").upper()][key] += spent
    return {code: dict(by_key) for code, by_key in result.items()}


def _money(value: Decimal, code: str) -> Decimal:
    # Sums carry the column's 4 places; amounts are exact, so this never rounds real data.
    return quantize(value, code) if is_known_currency(code) else value


# -- AI / heuristic suggestions -------------------------------------------------


def _category_keys(user: UserLike) -> list[str]:
    keys = set(Category.objects.for_user(user).values_list("key", flat=True))
    return sorted(k for k in keys if k and k not in INCOME_KEYS)


def _heuristic(user: UserLike, income: Decimal, code: str, today: dt.date) -> tuple[dict[str, Decimal], dict[str, Any]]:
    start, end = history_window(today, HISTORY_MONTHS)
    spending = _spending(user, start, end - dt.timedelta(days=1))
    spend: dict[str, Decimal] = defaultdict(Decimal)
    for key, value in spending.get(code, {}).items():
        spend[key or UNCATEGORISED_KEY] += value
    facts: dict[str, Any] = {
        "method": "heuristic",
        "window": {"start": start.isoformat(), "end": (end - dt.timedelta(days=1)).isoformat(),
                   "months": HISTORY_MONTHS},
        "ignored_currencies": sorted(c for c in spending if c != code),
    }
    try:
        result = allocate_by_spending(spend, monthly_income=income, currency=code)
    except BudgetError as err:
        if err.code != "no_history":
            raise
        # No spending to learn from: the best-fitting shipped template (pure data, no DB).
        best = max(
            SYSTEM_TEMPLATES,
            key=lambda t: score_template(income_range=t["target_income_range"], template_tags=t["location_tags"],
                                         usage_count=0, income=income * 12, currency=code).score,
        )
        facts.update(basis="template", template=best["name"])
        return percentages_of(clean_allocations(best["category_allocations"])), facts
    facts.update(
        basis="spending",
        average_monthly_spend=jsonable(result.average_monthly_spend),
        savings=money_str(result.savings),
        scaled_down=result.scaled_down,
    )
    return result.percentages, facts


def suggest_budget(
    user: UserLike,
    *,
    monthly_income: Any,
    currency: str | None = None,
    context: Mapping[str, Any] | None = None,
    start_date: dt.date | None = None,
    end_date: dt.date | None = None,
    today: dt.date | None = None,
) -> Budget:
    """Create an ``ai_suggested`` budget: a plugin, else the user's AI provider, else the heuristic.

    1. The ``suggest_budget`` hook (first non-``None`` answer wins); an
       invalid plugin answer raises, since it is the host's own code.
    2. Otherwise the user's provider (``ai.call_provider(user, "suggest_budget", ...)``),
       called outside any transaction. When the user has none (``system``),
       the call fails (AI disabled, no opt-in, vendor error, undecryptable
       key), or the answer does not validate (unknown category,
       negative, not 100 within 0.01), the heuristic is used and
       ``ai_generation_context["fallback_reason"]`` says why.
    3. The heuristic (:mod:`~django_expense_ai.budgets.heuristic`) on the
       last three full months of regular spending in ``currency``.

    ``ai_generation_context`` records ``method`` (``plugin``/``ai``/``heuristic``),
    the ``prompt`` (income, currency, categories, context), and for AI the
    answer, scrubbed raw response, provider, model, latency and usage;
    never the API key.

    :param currency: default: the user's ``UserPreferences.default_currency``.
    :param start_date: default: the first day of ``today``'s month.
    :param today: the reference date of the history window (default: today).
    :returns: the new :class:`Budget`.
    :raises BudgetError: income not positive, end before start, an invalid
        plugin answer, or no data at all to base a budget on.
    :raises UnknownCurrency: ``currency`` is not an ISO 4217 code.
    """
    code = _currency(user, currency)
    income = _monthly_income(monthly_income, code)
    today = today or timezone.localdate()
    start = start_date or today.replace(day=1)
    end, period = _period(start, end_date)
    context = dict(context or {})
    categories = _category_keys(user)
    prompt = {"monthly_income": money_str(income), "currency": code, "categories": categories,
              "context": jsonable(context)}

    percents: dict[str, Decimal] | None = None
    audit: dict[str, Any] = {}
    answer = plugins.hook().suggest_budget(user=user, monthly_income=income, currency=code, context=context)
    if answer is not None:
        percents = check_suggestion(answer, allowed=categories)
        audit = {"method": "plugin", "response": jsonable(dict(answer))}
    else:
        percents, audit = _ask_provider(user, income, code, categories, context)
    if percents is None:
        fallback = audit
        percents, audit = _heuristic(user, income, code, today)
        audit.update(fallback)
    audit["prompt"] = prompt

    names = _names(user, percents)
    category_allocations = _allocate(income, code, percents, names)
    with transaction.atomic():
        _ensure_categories(user, names)
        return Budget.objects.create(
            user=user,
            name=f"Suggested budget {start:%B %Y}"[:200],
            period=period,
            start_date=start,
            end_date=end,
            amount=income,
            currency=code,
            budget_type=BudgetType.AI_SUGGESTED,
            category_allocations=category_allocations,
            ai_generation_context=jsonable(audit),
        )


def _ask_provider(
    user: UserLike, income: Decimal, code: str, categories: list[str], context: dict[str, Any]
) -> tuple[dict[str, Decimal] | None, dict[str, Any]]:
    """The provider's validated percentages, or ``None`` and why it was not used."""
    provider_name = ai.active_provider_name(user)
    if provider_name == ai.SYSTEM:
        return None, {"fallback_reason": "no_provider"}
    try:
        result = ai.call_provider(
            user, "suggest_budget", monthly_income=income, currency=code, categories=categories, context=context
        )
    except (ProviderError, DecryptionError) as err:
        # A stored key that no longer decrypts is an operator's problem; the user still gets a budget.
        return None, {"fallback_reason": "provider_failed", "provider_error": ai.error_details(err)}
    details = ai.result_details(result)
    try:
        percents = check_suggestion(result.value, allowed=categories, tolerance=AI_PERCENT_TOLERANCE)
    except BudgetError as err:
        return None, {
            "fallback_reason": "invalid_answer",
            "provider_error": {"error": "BudgetError", "message": str(err), **details},
            "response": _jsonable_answer(result.value),
        }
    return percents, {"method": "ai", "response": _jsonable_answer(result.value), **details}


def _jsonable_answer(value: Any) -> Any:
    return jsonable(dict(value)) if isinstance(value, Mapping) else jsonable(value)


# -- budget vs actual ---------------------------------------------------------------


@dataclass(frozen=True)
class BudgetLine:
    """One category of a budget report, in the budget's currency.

    ``key`` is the category key (``None``: uncategorised). ``percent_used`` is
    ``spent / allocated * 100`` to two places, ``None`` when nothing was allocated.
    """

    key: str | None
    name: str
    allocated: Decimal
    spent: Decimal
    remaining: Decimal
    percent_used: Decimal | None


@dataclass(frozen=True)
class BudgetReport:
    """Budget vs actual for one budget.

    ``lines``: allocated categories in allocation order, then categories with
    spending but no allocation, then uncategorised spending.
    ``other_currencies``: spending in other currencies, ``{code: {key: spent}}``,
    never converted nor added to the totals.
    """

    budget_id: int
    currency: str
    start: dt.date
    end: dt.date
    lines: tuple[BudgetLine, ...]
    allocated: Decimal
    spent: Decimal
    remaining: Decimal
    percent_used: Decimal | None
    other_currencies: dict[str, dict[str | None, Decimal]] = field(default_factory=dict)

    def line(self, key: str | None) -> BudgetLine:
        """The line of category ``key`` (``None``: uncategorised).

        :raises UnknownKey: no such line (a ``KeyError``).
        """
        for item in self.lines:
            if item.key == key:
                return item
        raise UnknownKey(
            f"This budget report has no line for {key!r}; ask for the category key of one of its lines "
            "(None for the uncategorised line).",
            key=key,
        )


def _percent(spent: Decimal, allocated: Decimal) -> Decimal | None:
    if allocated == 0:
        return None
    return (spent * 100 / allocated).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _line(key: str | None, name: str, allocated: Decimal, spent: Decimal, code: str) -> BudgetLine:
    allocated, spent = _money(allocated, code), _money(spent, code)
    return BudgetLine(key, name, allocated, spent, allocated - spent, _percent(spent, allocated))


def budget_report(budget: Budget) -> BudgetReport:
    """Budget vs actual: per category allocated, spent, remaining and percent used.

    Spending is the budget owner's own transactions dated within the budget
    (both ends inclusive) that count in regular totals (excluded
    classifications do not). Money out is spending; a refund in a category
    reduces that category's spending; money in without a category, and the
    ``income`` category, are ignored. Transactions are matched to
    allocations by category key, so a user's own ``food`` and the system
    ``food`` share a line. Other currencies go to ``other_currencies``.

    :returns: a :class:`BudgetReport`.
    :raises BudgetError: the budget's ``category_allocations`` is not an object.
    """
    # Cached per budget fields and the owner's months in the period (see cache.py).
    return cached_budget_report(budget, lambda: _compute_budget_report(budget))


def _compute_budget_report(budget: Budget) -> BudgetReport:
    code = (budget.currency or "").upper()
    allocations = budget.category_allocations or {}
    if not isinstance(allocations, Mapping):
        raise BudgetError(f"Budget #{budget.pk} has category_allocations that are not an object.")
    spending = _spending(budget.user_id, budget.start_date, budget.end_date)
    spent_here = spending.pop(code, {})
    names = _names(budget.user_id, [k for k in spent_here if k is not None]) if spent_here else {}
    lines = []
    for key, entry in allocations.items():
        entry = entry if isinstance(entry, Mapping) else {}
        allocated = to_decimal(entry.get("amount") or 0)
        name = str(entry.get("name") or names.get(key) or SYSTEM_CATEGORIES.get(key) or key)
        lines.append(_line(key, name, allocated, spent_here.pop(key, Decimal(0)), code))
    uncategorised = spent_here.pop(None, None)
    for key in sorted(k for k in spent_here if k is not None):  # None (uncategorised) was popped
        lines.append(_line(key, names.get(key, key), Decimal(0), spent_here[key], code))
    if uncategorised is not None:
        lines.append(_line(None, "Uncategorised", Decimal(0), uncategorised, code))
    allocated_total = _money(to_decimal(budget.amount), code)
    spent_total = sum((line.spent for line in lines), Decimal(0))
    return BudgetReport(
        budget_id=budget.pk,
        currency=code,
        start=budget.start_date,
        end=budget.end_date,
        lines=tuple(lines),
        allocated=allocated_total,
        spent=spent_total,
        remaining=allocated_total - spent_total,
        percent_used=_percent(spent_total, allocated_total),
        other_currencies={
            other: {key: _money(value, other) for key, value in by_key.items()}
            for other, by_key in sorted(spending.items())
        },
    )


# -- editing (the faces call these) ------------------------------------------------


def save_budget(user: UserLike, budget: Budget | None = None, **fields: Any) -> Budget:
    """Create or update a manual budget of ``user``.

    :returns: the saved budget.
    :raises NotYours: another user's budget.
    :raises BudgetError: ``end_date`` before ``start_date`` or bad allocations.
    """
    from ..budgets.allocations import clean_allocations

    ownership.require_signed_in(user)
    if budget is None:
        budget = Budget(user=user)
    else:
        ownership.owned(user, budget)
    if "category_allocations" in fields:
        fields["category_allocations"] = clean_allocations(fields["category_allocations"])
    for name, value in fields.items():
        if name not in ("name", "period", "start_date", "end_date", "amount", "currency", "category_allocations"):
            raise UnexpectedField(f"save_budget() got an unexpected field {name!r}")
        setattr(budget, name, value)
    budget.currency = normalize_currency(budget.currency)
    budget.amount = quantize(budget.amount, budget.currency, strict=True)
    if isinstance(budget.start_date, dt.date) and isinstance(budget.end_date, dt.date) and (
        budget.end_date < budget.start_date
    ):
        raise BudgetError("A budget cannot end before it starts.", code="bad_period")
    budget.save()
    return budget


def delete_budget(user: UserLike, budget: Budget) -> None:
    """Delete one of ``user``'s budgets. :raises NotYours: another user's."""
    ownership.owned(user, budget).delete()


def delete_template(user: UserLike, template: BudgetTemplate) -> None:
    """Delete one of ``user``'s own templates.

    :raises ReadOnlyRow: a system template. :raises NotYours: another user's.
    """
    if template.is_system:
        raise ReadOnlyRow("System templates are read-only.")
    ownership.owned(user, template).delete()
