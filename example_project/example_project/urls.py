from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    # The pages people use are the front door; the admin stays at /admin/.
    path("", RedirectView.as_view(pattern_name="expense_ai:chat", permanent=False)),
    path("accounts/login/", auth_views.LoginView.as_view(template_name="admin/login.html",
                                                         extra_context={"site_header": "Expenses demo"}),
         name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(next_page="/"), name="logout"),
    path("admin/", admin.site.urls),
    path("expense-ai/", include("django_expense_ai.urls")),
    path("api/expense-ai/", include("django_expense_ai.api.urls")),
]
