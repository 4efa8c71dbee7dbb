"""Admin for the models that hold secrets: inputs are write-only, values never shown."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables

from ..ai import calls as ai
from ..models import StatementPassword
from ..models.host import AbstractAISettings
from ..models.swappable import get_ai_settings_model, get_currency_model, get_user_preferences_model
from .base import ScopedAdmin


class StatementPasswordForm(forms.ModelForm):
    password = forms.CharField(
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Write-only: leave empty to keep the stored password.",
    )

    class Meta:
        model = StatementPassword
        fields = ("user", "account", "password", "password_hint", "file_pattern", "is_default")

    @sensitive_variables("data")
    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.instance.pk and not data.get("password"):
            self.add_error("password", "Enter the statement password.")
        return data

    def save(self, commit: bool = True) -> StatementPassword:
        obj = super().save(commit=False)
        if self.cleaned_data.get("password"):
            obj.set_password(self.cleaned_data["password"])
        if commit:
            obj.save()
        return obj


@admin.register(StatementPassword)
class StatementPasswordAdmin(ScopedAdmin):
    form = StatementPasswordForm
    list_display = ("__str__", "user", "account", "has_password", "password_hint", "is_default",
                    "success_count", "last_used")
    list_filter = ("is_default",)
    search_fields = ("password_hint", "file_pattern")
    raw_id_fields = ("user",)
    autocomplete_fields = ("account",)
    readonly_fields = ("has_password", "success_count", "last_used", "created_at", "updated_at")

    @method_decorator(sensitive_post_parameters("password"))
    def changeform_view(
        self, request: HttpRequest, object_id: str | None = None, form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        return super().changeform_view(request, object_id, form_url, extra_context)

    @admin.display(boolean=True, description="password set")
    def has_password(self, obj: StatementPassword) -> bool:
        return bool(obj.encrypted_password)


#: The providers whose keys the settings row stores, as people name them.
KEY_PROVIDERS = (("openai", "OpenAI"), ("claude", "Claude (Anthropic)"), ("gemini", "Gemini (Google)"))


def _api_key_form(model: type[AbstractAISettings]) -> type[forms.ModelForm]:
    settings_model = model

    class AISettingsForm(forms.ModelForm):
        """One write-only key field per provider, labelled with whether a key is stored."""

        openai_key = forms.CharField(required=False, strip=True)
        claude_key = forms.CharField(required=False, strip=True)
        gemini_key = forms.CharField(required=False, strip=True)

        class Meta:
            model = settings_model
            fields = ("user", "active_parser_provider", "openai_model", "claude_model", "gemini_model")

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            for name, label in (("active_parser_provider", "AI provider"), ("openai_model", "OpenAI model"),
                                ("claude_model", "Claude model"), ("gemini_model", "Gemini model")):
                if name in self.fields:
                    self.fields[name].label = label
            for provider, label in KEY_PROVIDERS:
                field = self.fields[f"{provider}_key"]
                is_set = self.instance.pk is not None and self.instance.has_api_key(provider)
                field.label = f"{label} key"
                field.widget = forms.PasswordInput(render_value=False, attrs={
                    "autocomplete": "off",
                    "placeholder": "a key is set (hidden)" if is_set else "not set",
                })
                field.help_text = (
                    "Set. Write-only: leave empty to keep it, type a new key to replace it, enter '-' to remove it."
                    if is_set else
                    "Not set. Paste a key to set it; it is stored encrypted and never shown again."
                )

        @sensitive_variables("value")
        def save(self, commit: bool = True) -> AbstractAISettings:
            obj = super().save(commit=False)
            for provider, _label in KEY_PROVIDERS:
                value = self.cleaned_data.get(f"{provider}_key")
                if value == "-":
                    obj.set_api_key(provider, None)
                elif value:
                    obj.set_api_key(provider, value)
            if commit:
                obj.save()
            return obj

    return forms.modelform_factory(model, form=AISettingsForm, fields=AISettingsForm.Meta.fields)


class AISettingsAdmin(ScopedAdmin):
    """A user's AI settings: each provider's key once, as a write-only field that says whether it is set."""

    list_display = ("user", "active_parser_provider", "openai_set", "claude_set", "gemini_set",
                    "keys_last_tested")
    list_filter = ("active_parser_provider",)
    raw_id_fields = ("user",)
    readonly_fields = ("keys_last_tested", "key_test_results", "opted_in_at")
    actions = ("test_api_keys",)

    @method_decorator(sensitive_post_parameters("openai_key", "claude_key", "gemini_key"))
    def changeform_view(
        self, request: HttpRequest, object_id: str | None = None, form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        return super().changeform_view(request, object_id, form_url, extra_context)

    @admin.action(description="Test API keys (one cheap request per provider)")
    def test_api_keys(self, request: HttpRequest, queryset: QuerySet[AbstractAISettings]) -> None:
        """Run :func:`django_expense_ai.ai.calls.test_api_keys` for each selected row and report.

        The full (scrubbed) outcome is stored on each row; the admin message
        shows provider, status and error kind only. Never contains a key.
        """
        for ai_settings in queryset.select_related("user"):
            statuses = ai.test_api_keys(ai_settings)
            failed = any(s["status"] != "ok" for s in statuses.values())
            summary = ", ".join(
                f"{name}: {s['status']}" + ("" if s["status"] == "ok" else f" ({s['kind']})")
                for name, s in statuses.items()
            )
            self.message_user(
                request,
                f"{ai_settings.user}: {summary or 'no provider configured'}",
                messages.WARNING if failed else messages.SUCCESS,
            )

    def get_form(
        self, request: HttpRequest, obj: AbstractAISettings | None = None, change: bool = False, **kwargs: Any
    ) -> Any:
        kwargs["form"] = _api_key_form(self.model)
        kwargs["fields"] = None
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: AbstractAISettings | None = None) -> list[Any]:
        return ["user", "active_parser_provider", "openai_model", "claude_model", "gemini_model",
                "openai_key", "claude_key", "gemini_key", *self.readonly_fields]

    @admin.display(description="keys last tested", ordering="api_key_last_tested")
    def keys_last_tested(self, obj: AbstractAISettings) -> dt.datetime | str:
        return obj.api_key_last_tested or "never"

    @admin.display(description="last test results")
    def key_test_results(self, obj: AbstractAISettings) -> str:
        results = obj.api_key_test_status or {}
        if not results:
            return "-"
        # Stored scrubbed by ai.test_api_keys: provider, status, error kind; never a key.
        return "; ".join(
            f"{name}: {value.get('status', '?') if isinstance(value, dict) else value}"
            for name, value in sorted(results.items())
        )

    @admin.display(description="AI opt-in given at")
    def opted_in_at(self, obj: AbstractAISettings) -> dt.datetime | str:
        return obj.ai_opt_in_at or "not given: nothing is sent to an AI provider"

    # The list's set/not-set columns; the form says the same beside each key field.
    @admin.display(boolean=True, description="OpenAI key set")
    def openai_set(self, obj: AbstractAISettings) -> bool:
        return obj.has_api_key("openai")

    @admin.display(boolean=True, description="Claude key set")
    def claude_set(self, obj: AbstractAISettings) -> bool:
        return obj.has_api_key("claude")

    @admin.display(boolean=True, description="Gemini key set")
    def gemini_set(self, obj: AbstractAISettings) -> bool:
        return obj.has_api_key("gemini")


class UserPreferencesAdmin(ScopedAdmin):
    list_display = ("user", "default_currency", "quick_add_mode", "default_chat_parser", "sidebar_collapsed")
    list_filter = ("quick_add_mode", "default_chat_parser")
    raw_id_fields = ("user",)


class CurrencyInfoAdmin(ScopedAdmin):
    """Reference data: everyone with the view permission reads it, superusers change it."""

    owner_field = None
    list_display = ("code", "name", "symbol", "minor_units", "is_active")
    list_filter = ("minor_units", "is_active")
    search_fields = ("code", "name")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return admin.ModelAdmin.get_queryset(self, request)


def _register_default_host_models() -> None:
    # Only the library's default concrete models: a host that swapped them
    # registers its own admin.
    for getter, admin_class in (
        (get_ai_settings_model, AISettingsAdmin),
        (get_user_preferences_model, UserPreferencesAdmin),
        (get_currency_model, CurrencyInfoAdmin),
    ):
        model = getter()
        if model._meta.app_label == "expense_ai" and not admin.site.is_registered(model):
            admin.site.register(model, admin_class)


_register_default_host_models()
