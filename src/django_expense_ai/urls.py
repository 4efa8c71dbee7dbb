"""URLs a host includes: ``path("expense-ai/", include("django_expense_ai.urls"))``."""

from __future__ import annotations

from django.urls import path

from .statements.views import download_statement

app_name = "expense_ai"
urlpatterns: list = [
    path("statements/<int:pk>/download/", download_statement, name="statement_download"),
]
