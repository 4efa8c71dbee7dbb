from django.conf import settings
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("expense-ai/", include("django_expense_ai.urls")),
]

if settings.API_INSTALLED:
    urlpatterns.append(path("api/expense-ai/", include("django_expense_ai.api.urls")))
