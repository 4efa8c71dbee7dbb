from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from django_expense_ai.admin.secrets import AISettingsAdmin, UserPreferencesAdmin

from .models import AISettings, User, UserPreferences

admin.site.register(User, UserAdmin)
admin.site.register(AISettings, AISettingsAdmin)
admin.site.register(UserPreferences, UserPreferencesAdmin)
