"""The host's users app: a custom user plus the library's per-user models, swapped in."""

from django.contrib.auth.models import AbstractUser

from django_expense_ai.models import AbstractAISettings, AbstractUserPreferences


class User(AbstractUser):
    pass


class AISettings(AbstractAISettings):
    class Meta(AbstractAISettings.Meta):
        db_table = "users_ai_settings"


class UserPreferences(AbstractUserPreferences):
    class Meta(AbstractUserPreferences.Meta):
        db_table = "users_user_preferences"
