# 2.0, step 1 of the spec's MIGRATION SEQUENCING: independent tables.
# Indexes come in 0007 (step 5).

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from django_expense_ai.models.migration_ops import SetLockTimeout


class Migration(migrations.Migration):

    dependencies = [
        ('expense_ai', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        SetLockTimeout('5s'),
        migrations.CreateModel(
            name='BudgetTemplate',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=200)),
                ('description', models.TextField(blank=True)),
                ('is_system', models.BooleanField(default=False, help_text='True for system-provided templates, False for user-created')),
                ('category_allocations', models.JSONField(help_text="Category key to percentage mapping: {'housing': {'name': 'Housing', 'percentage': '30'}}")),
                ('target_income_range', models.JSONField(default=dict, help_text="{'min': '50000', 'max': '100000', 'currency': 'USD'}")),
                ('location_tags', models.JSONField(default=list, help_text="Tags like ['urban', 'high_cost', 'tech_professional']")),
                ('usage_count', models.IntegerField(default=0, help_text='How many times this template has been used')),
                ('is_active', models.BooleanField(default=True)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('created_by', models.ForeignKey(blank=True, help_text='Null for system templates', null=True, on_delete=django.db.models.deletion.CASCADE, related_name='expense_ai_budget_templates', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'db_table': 'finance_budget_templates',
                'ordering': ['-is_system', '-usage_count', 'name'],
            },
        ),
    ]
