# 2.0, step 6 of the spec (run before step 5, the indexes, on purpose: an index
# on expense_classification makes this backfill several times slower).
#
# Fills what the new columns mean for rows written by 1.0. Non-atomic and
# batched by primary-key range (never a whole table in memory); every UPDATE
# only moves rows still at their default, so re-running it after an
# interruption is safe (idempotent).
#
# Classification of 1.0 transactions (docs/schema.rst):
#   is_reimbursable                         -> reimbursable
#   category key charity/donations/...      -> charity
#   category key family/family-support/...  -> family_support
#   anything else (is_recurring included)   -> regular_monthly
# exclude_from_totals then follows EXPENSE_AI["EXCLUDED_CLASSIFICATIONS"].
# Splits: "equal" when every part of the transaction is equal, else
# "custom_amount"; a split's currency becomes its transaction's.

from django.db import migrations
from django.db.models import Case, F, Max, Min, Q, Value, When

BATCH = 10000

CHARITY_KEYS = ("charity", "donations", "donation", "gifts-donations", "gifts_donations")
FAMILY_KEYS = ("family", "family-support", "family_support", "family-care")


def _ranges(model):
    agg = model.objects.aggregate(lo=Min("pk"), hi=Max("pk"))
    lo, hi = agg["lo"], agg["hi"]
    if lo is None:
        return
    start = lo
    while start <= hi:
        yield start, start + BATCH
        start += BATCH


def classify_transactions(apps, schema_editor):
    from django_expense_ai.models.choices import excluded_classifications

    Transaction = apps.get_model("expense_ai", "Transaction")
    Category = apps.get_model("expense_ai", "Category")
    charity_ids = list(Category.objects.filter(key__in=CHARITY_KEYS).values_list("pk", flat=True))
    family_ids = list(Category.objects.filter(key__in=FAMILY_KEYS).values_list("pk", flat=True))
    excluded = sorted(excluded_classifications())
    rules = [When(is_reimbursable=True, then=Value("reimbursable"))]
    if charity_ids:
        rules.append(When(category_id__in=charity_ids, then=Value("charity")))
    if family_ids:
        rules.append(When(category_id__in=family_ids, then=Value("family_support")))
    classification = Case(*rules, default=F("expense_classification"))
    applies = Q(is_reimbursable=True) | Q(category_id__in=charity_ids + family_ids)
    excluded_now = Case(When(expense_classification__in=excluded, then=Value(True)), default=Value(False))
    for lo, hi in _ranges(Transaction):
        batch = Transaction.objects.filter(pk__gte=lo, pk__lt=hi, exclusion_overridden=False)
        # Only rows still at the default move: re-running changes nothing.
        # Only rows still at the default, and only those a rule applies to, are
        # written (an UPDATE rewrites every row it touches): re-running changes nothing.
        batch.filter(applies, expense_classification="regular_monthly").update(
            expense_classification=classification
        )
        wrong = Q(expense_classification__in=excluded, exclude_from_totals=False) | (
            ~Q(expense_classification__in=excluded) & Q(exclude_from_totals=True)
        )
        batch.filter(wrong).update(exclude_from_totals=excluded_now)


def split_methods(apps, schema_editor):
    import swapper

    from django_expense_ai.money import iso_currencies

    Split = apps.get_model("expense_ai", "TransactionSplit")
    Transaction = apps.get_model("expense_ai", "Transaction")
    app_label, model_name = swapper.get_model_name("expense_ai", "CurrencyInfo").split(".")
    Currency = apps.get_model(app_label, model_name)
    iso = iso_currencies()
    currency_ids = {}
    for lo, hi in _ranges(Transaction):
        splits = Split.objects.filter(transaction_id__gte=lo, transaction_id__lt=hi)
        # Materialise the ids (MySQL cannot UPDATE a table it selects from);
        # unequal splits are the rare case, and the list is sent in chunks.
        unequal = list(
            splits.order_by().values("transaction_id")
            .annotate(lo_amount=Min("amount"), hi_amount=Max("amount"))
            .exclude(lo_amount=F("hi_amount"))
            .values_list("transaction_id", flat=True)
        )
        for start in range(0, len(unequal), 500):
            splits.filter(transaction_id__in=unequal[start:start + 500], split_method="equal").update(
                split_method="custom_amount"
            )
        codes = list(
            # order_by(): the model's ordering would otherwise join the DISTINCT.
            Transaction.objects.filter(pk__gte=lo, pk__lt=hi).order_by().values_list("currency", flat=True).distinct()
        )
        for code in codes:
            code = (code or "").upper()
            if code not in iso:
                continue
            if code not in currency_ids:
                name, minor, numeric = iso[code]
                row, _ = Currency.objects.get_or_create(
                    code=code, defaults={"name": name, "minor_units": minor, "numeric_code": numeric or 0}
                )
                currency_ids[code] = row.pk
            pending = splits.filter(currency__isnull=True)
            if len(codes) > 1:  # the rare mixed batch needs the join; one currency does not
                pending = pending.filter(transaction__currency=code)
            pending.update(currency_id=currency_ids[code])


class Migration(migrations.Migration):

    atomic = False

    dependencies = [
        ('expense_ai', '0005_statement_merge'),
    ]

    operations = [
        migrations.RunPython(classify_transactions, migrations.RunPython.noop, elidable=False),
        migrations.RunPython(split_methods, migrations.RunPython.noop, elidable=False),
    ]
