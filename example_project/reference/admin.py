from django.contrib import admin

from django_expense_ai.admin.secrets import CurrencyInfoAdmin

from .models import CurrencyInfo

admin.site.register(CurrencyInfo, CurrencyInfoAdmin)
