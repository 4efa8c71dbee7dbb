"""URLs of the REST API: ``path("api/expense-ai/", include("django_expense_ai.api.urls"))``."""

from __future__ import annotations

from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

app_name = "expense_ai_api"

router = SimpleRouter()
router.register("accounts", views.AccountViewSet, basename="account")
router.register("categories", views.CategoryViewSet, basename="category")
router.register("groups", views.GroupViewSet, basename="group")
router.register("transactions", views.TransactionViewSet, basename="transaction")
router.register("chat/messages", views.ChatMessageViewSet, basename="chat-message")
router.register("statements", views.StatementViewSet, basename="statement")
router.register("statement-passwords", views.StatementPasswordViewSet, basename="statement-password")
router.register("merges", views.MergeViewSet, basename="merge")
router.register("budgets", views.BudgetViewSet, basename="budget")
router.register("budget-templates", views.BudgetTemplateViewSet, basename="budget-template")

urlpatterns = [
    path("settings/ai/", views.AISettingsView.as_view(), name="ai-settings"),
    path("settings/ai/test-keys/", views.AIKeyTestView.as_view(), name="ai-settings-test-keys"),
    path("settings/preferences/", views.PreferencesView.as_view(), name="preferences"),
    path("reports/monthly/", views.MonthlyReportView.as_view(), name="report-monthly"),
    *router.urls,
]
