"""URL patterns of the pages; included by :mod:`django_expense_ai.urls` (namespace ``expense_ai``)."""

from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("chat/", views.chat, name="chat"),
    path("chat/history/", views.chat_history, name="chat_history"),
    path("chat/mentions/", views.chat_mentions, name="chat_mentions"),
    path("chat/preferences/", views.chat_preferences, name="chat_preferences"),
    path("chat/<int:pk>/confirm/", views.chat_confirm, name="chat_confirm"),
    path("chat/<int:pk>/reject/", views.chat_reject, name="chat_reject"),
    path("statements/", views.statements, name="statements"),
    path("statements/upload/", views.statement_upload, name="statement_upload"),
    path("statements/<int:pk>/", views.statement_detail, name="statement_detail"),
    path("statements/<int:pk>/progress/", views.statement_progress, name="statement_progress"),
    path("statements/<int:pk>/unlock/", views.statement_unlock, name="statement_unlock"),
    path("statements/<int:pk>/reprocess/", views.statement_reprocess, name="statement_reprocess"),
    path("statements/<int:pk>/review/", views.statement_review, name="statement_review"),
    path("statements/<int:pk>/review/commit/", views.statement_review_commit, name="statement_review_commit"),
    path("merges/", views.merges, name="merges"),
    path("merges/<int:pk>/", views.merge_review, name="merge_review"),
    path("budgets/", views.budgets, name="budgets"),
    path("budgets/templates/<int:pk>/apply/", views.budget_apply, name="budget_apply"),
    path("budgets/suggest/", views.budget_suggest, name="budget_suggest"),
    path("settings/", views.settings_page, name="settings"),
    path("settings/keys/", views.settings_keys, name="settings_keys"),
    path("settings/keys/test/", views.settings_test_keys, name="settings_test_keys"),
    path("settings/consent/", views.settings_consent, name="settings_consent"),
    path("settings/passwords/", views.settings_password_add, name="settings_password_add"),
    path("settings/passwords/<int:pk>/delete/", views.settings_password_delete, name="settings_password_delete"),
    path("settings/preferences/", views.settings_preferences, name="settings_preferences"),
    path("settings/sidebar/", views.sidebar_toggle, name="sidebar_toggle"),
]
