"""Models the spec gives to the host (``reference.CurrencyInfo``, ``users.AISettings``,
``users.UserPreferences``): abstract bases carrying every field, plus default
concrete models a host uses unless it swaps them (see :mod:`..swappable`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import swapper
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from .. import crypto
from ..conf import settings as expense_settings
from .choices import ChatParserChoice, QuickAddMode

if TYPE_CHECKING:
    from django.db.models.options import Options


def default_openai_model() -> str:
    """Default for ``openai_model``: ``EXPENSE_AI["DEFAULT_MODELS"]["openai"]``."""
    return expense_settings.DEFAULT_MODELS.get("openai", "")


def default_claude_model() -> str:
    """Default for ``claude_model``: ``EXPENSE_AI["DEFAULT_MODELS"]["claude"]``."""
    return expense_settings.DEFAULT_MODELS.get("claude", "")


def default_gemini_model() -> str:
    """Default for ``gemini_model``; the spec's ``gemini-pro`` is retired by Google."""
    return expense_settings.DEFAULT_MODELS.get("gemini", "")


def provider_choices() -> list[tuple[str, str]]:
    """Choices for ``active_parser_provider``: the spec's four plus registered plugins."""
    from ..providers.registry import provider_choices as registry_choices

    return registry_choices()


def validate_provider_name(value: str) -> None:
    """Reject a provider name that is neither ``system`` nor registered."""
    from django.core.exceptions import ValidationError

    from ..providers.registry import SYSTEM_CHOICE, provider_names

    # Any registered provider is valid (the fake one too, saved by a test);
    # which ones a form offers is provider_choices' business.
    names = {SYSTEM_CHOICE[0], *provider_names()}
    if value not in names:
        raise ValidationError(
            _("Unknown AI provider %(value)s; choose one of %(names)s."),
            code="unknown_provider",
            params={"value": value, "names": ", ".join(sorted(names))},
        )


class AbstractCurrencyInfo(models.Model):
    """An ISO 4217 currency with its minor units (decimal places)."""

    code = models.CharField(_("ISO 4217 code"), max_length=3, unique=True)
    name = models.CharField(max_length=100, blank=True)
    symbol = models.CharField(max_length=10, blank=True)
    minor_units = models.PositiveSmallIntegerField(
        default=2, help_text=_("Decimal places of the currency's minor unit (ISO 4217).")
    )
    numeric_code = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        abstract = True
        ordering = ["code"]
        verbose_name = _("currency")
        verbose_name_plural = _("currencies")

    def __str__(self) -> str:
        return self.code


class CurrencyInfo(AbstractCurrencyInfo):
    class Meta(AbstractCurrencyInfo.Meta):
        swappable = swapper.swappable_setting("expense_ai", "CurrencyInfo")
        db_table = "expense_ai_currency_info"


class EncryptedKeysMixin:
    """Setter/getter pair for the encrypted API key columns (never plaintext)."""

    API_KEY_FIELDS = {"openai": "openai_api_key", "claude": "claude_api_key", "gemini": "gemini_api_key"}

    if TYPE_CHECKING:  # given by the model it is mixed into
        _meta: Options[Any]
        pk: Any

    @sensitive_variables("plain")
    def set_api_key(self, provider: str, plain: str | None) -> None:
        """Encrypt and store ``plain`` for ``provider``; ``None``/``""`` clears it."""
        field = self.API_KEY_FIELDS[provider]
        setattr(self, field, crypto.encrypt(plain) if plain else None)

    @sensitive_variables()
    def get_api_key(self, provider: str) -> str | None:
        """Decrypt the key for ``provider``; ``None`` when unset.

        Raises :class:`~django_expense_ai.exceptions.DecryptionError`.
        """
        field = self.API_KEY_FIELDS.get(provider)
        if field is None:
            return None
        token = getattr(self, field)
        if not token:
            return None
        return crypto.decrypt(token, model=self._meta.label, pk=self.pk, field=field)

    def has_api_key(self, provider: str) -> bool:
        field = self.API_KEY_FIELDS.get(provider)
        return bool(field and getattr(self, field))


class AbstractAISettings(EncryptedKeysMixin, models.Model):
    """Per-user AI configuration. API keys are Fernet tokens (``crypto``)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="expense_ai_settings"
    )
    # 1.0 fields
    openai_api_key = models.BinaryField(null=True, blank=True, help_text=_("Encrypted OpenAI API key"))
    openai_model = models.CharField(max_length=100, default=default_openai_model)
    claude_api_key = models.BinaryField(null=True, blank=True, help_text=_("Encrypted Anthropic API key"))
    claude_model = models.CharField(max_length=100, default=default_claude_model)
    # 2.0 fields (the spec's "Add Gemini support and API testing")
    gemini_api_key = models.BinaryField(
        null=True, blank=True, help_text=_("Encrypted Google Gemini API key")
    )
    gemini_model = models.CharField(
        max_length=100, default=default_gemini_model, help_text=_("Gemini model to use")
    )
    active_parser_provider = models.CharField(
        max_length=50,
        choices=provider_choices,
        default="system",
        validators=[validate_provider_name],
    )
    api_key_last_tested = models.DateTimeField(
        null=True, blank=True, help_text=_("Last time API keys were tested")
    )
    api_key_test_status = models.JSONField(
        default=dict,
        blank=True,
        help_text=_("Status per provider: {'openai': 'success', 'claude': 'failed'}"),
    )
    ai_opt_in_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text=_("When the user agreed that statement text may be sent to their AI provider."),
    )

    class Meta:
        abstract = True
        verbose_name = _("AI settings")
        verbose_name_plural = _("AI settings")

    def save(self, *args: Any, **kwargs: Any) -> None:
        validate_provider_name(self.active_parser_provider)
        super().save(*args, **kwargs)

    def __str__(self) -> str:
        return f"AI settings of user #{self.user_id}"

    def __repr__(self) -> str:  # never the key columns
        return f"<{type(self).__name__} user={self.user_id} provider={self.active_parser_provider}>"


class AISettings(AbstractAISettings):
    class Meta(AbstractAISettings.Meta):
        swappable = swapper.swappable_setting("expense_ai", "AISettings")
        db_table = "expense_ai_ai_settings"


class AbstractUserPreferences(models.Model):
    """Per-user UI and chat preferences."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="expense_ai_preferences"
    )
    # 1.0 field
    default_currency = models.CharField(max_length=3, default="USD")
    # 2.0 fields
    sidebar_collapsed = models.BooleanField(
        default=False, help_text=_("Whether sidebar is collapsed by default")
    )
    quick_add_mode = models.CharField(
        max_length=20, choices=QuickAddMode.choices, default=QuickAddMode.NORMAL
    )
    default_chat_parser = models.CharField(
        max_length=20, choices=ChatParserChoice.choices, default=ChatParserChoice.AI
    )
    # Not in the spec's list: the review step of statement uploads is newer (see docs/review.rst).
    review_uploads = models.BooleanField(
        null=True,
        blank=True,
        default=None,
        help_text=_("Review statement rows before they are imported; empty: the site's default (EXPENSE_AI['REVIEW_UPLOADS'])"),
    )

    class Meta:
        abstract = True
        verbose_name = _("user preferences")
        verbose_name_plural = _("user preferences")

    def __str__(self) -> str:
        return f"Preferences of user #{self.user_id}"


class UserPreferences(AbstractUserPreferences):
    class Meta(AbstractUserPreferences.Meta):
        swappable = swapper.swappable_setting("expense_ai", "UserPreferences")
        db_table = "expense_ai_user_preferences"
