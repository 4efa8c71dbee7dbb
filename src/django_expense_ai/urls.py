"""URLs a host includes: ``path("expense-ai/", include("django_expense_ai.urls"))``."""

from __future__ import annotations

app_name = "expense_ai"
urlpatterns: list = []
