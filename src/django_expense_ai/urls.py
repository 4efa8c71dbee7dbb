"""URLs a host includes: ``path("expense-ai/", include("django_expense_ai.urls"))``.

One include gives the statement download and the pages (:mod:`.web`):
``expense_ai:chat``, ``expense_ai:statements``, ``expense_ai:statement_upload``,
``expense_ai:merges``, ``expense_ai:budgets``, ``expense_ai:settings`` and the
views they post to.
"""

from __future__ import annotations

from django.urls import path

from .web.downloads import download_statement
from .web.urls import urlpatterns as page_patterns

app_name = "expense_ai"
urlpatterns: list = [
    path("statements/<int:pk>/download/", download_statement, name="statement_download"),
    *page_patterns,
]
