"""The REST API (the ``[api]`` extra: djangorestframework, drf-spectacular, django-filter).

A host mounts it with::

    path("api/expense-ai/", include("django_expense_ai.api.urls"))

and may reuse :data:`SPECTACULAR_SETTINGS` for its own schema settings::

    from django_expense_ai.api import SPECTACULAR_SETTINGS
    SPECTACULAR_SETTINGS = {**SPECTACULAR_SETTINGS, "TITLE": "My site"}

Every view scopes its queryset with ``for_user(request.user)`` (another
user's id is a 404), writes through the library's services, and answers
errors as RFC 9457 problem details (see :mod:`.problems`).
"""

from __future__ import annotations

#: drf-spectacular settings the committed ``schema/openapi.yaml`` is built with.
SPECTACULAR_SETTINGS = {
    "TITLE": "django-expense-ai API",
    "DESCRIPTION": (
        "Ledger, chat entry, statements, merges, budgets and AI settings of django-expense-ai. "
        "Money is a decimal string with the currency's minor units; dates are ISO 8601; "
        "errors are RFC 9457 problem details with a stable `code`."
    ),
    "VERSION": "2.0.0",
    "OAS_VERSION": "3.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "COMPONENT_NO_READ_ONLY_REQUIRED": False,
    "ENUM_NAME_OVERRIDES": {
        "ExpenseClassificationEnum": "django_expense_ai.models.choices.ExpenseClassification",
        "SplitMethodEnum": "django_expense_ai.models.choices.SplitMethod",
        "FileStatusEnum": "django_expense_ai.models.choices.FileStatus",
        "MergeStatusEnum": "django_expense_ai.models.choices.MergeStatus",
        "MergeStrategyEnum": "django_expense_ai.models.choices.MergeStrategy",
        "MessageStatusEnum": "django_expense_ai.models.choices.MessageStatus",
        "MessageTypeEnum": "django_expense_ai.models.choices.MessageType",
        "LogStatusEnum": "django_expense_ai.models.choices.LogStatus",
        "ProcessingStageEnum": "django_expense_ai.models.choices.ProcessingStage",
        "MentionTypeEnum": "django_expense_ai.models.choices.MentionType",
        "TransactionSourceEnum": "django_expense_ai.models.choices.TransactionSource",
        "BudgetPeriodEnum": "django_expense_ai.models.choices.BudgetPeriod",
        "BudgetTypeEnum": "django_expense_ai.models.choices.BudgetType",
        "QuickAddModeEnum": "django_expense_ai.models.choices.QuickAddMode",
        "ChatParserChoiceEnum": "django_expense_ai.models.choices.ChatParserChoice",
        "ParserTypeEnum": "django_expense_ai.models.choices.ParserType",
    },
}
