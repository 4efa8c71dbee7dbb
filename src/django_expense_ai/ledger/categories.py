"""System default categories, shared by every user (``Category.user`` is null).

Templates and imports refer to categories by these stable keys, never by a
database id (ids differ between sites).
"""

from __future__ import annotations

#: key -> display name. Keys are the stable identifiers; names may be translated.
SYSTEM_CATEGORIES: dict[str, str] = {
    "housing": "Housing",
    "utilities": "Utilities",
    "groceries": "Groceries",
    "dining": "Dining",
    "food": "Food",
    "transportation": "Transportation",
    "healthcare": "Healthcare",
    "insurance": "Insurance",
    "education": "Education",
    "childcare": "Childcare",
    "entertainment": "Entertainment",
    "shopping": "Shopping",
    "travel": "Travel",
    "subscriptions": "Subscriptions",
    "personal-care": "Personal care",
    "savings": "Savings",
    "debt": "Debt repayment",
    "charity": "Charity",
    "family-support": "Family support",
    "income": "Income",
    "other": "Other",
}

