# 2.0, step 3: new columns on existing tables (columns only; indexes in 0007).
# Every new NOT NULL column also gets a database default (db_default), so code
# that predates the column can still insert rows during a rolling deploy.

import django.db.models.deletion
import django_expense_ai.models.host
import django_expense_ai.models.statements
import swapper
from django.db import migrations, models

from django_expense_ai.models.migration_ops import SetLockTimeout


class Migration(migrations.Migration):

    dependencies = [
        ('expense_ai', '0003_chat_passwords_logs_mentions'),
        # Added by hand: makemigrations leaves the swappable dependency out.
        swapper.dependency('expense_ai', 'CurrencyInfo'),
        swapper.dependency('expense_ai', 'AISettings'),
        swapper.dependency('expense_ai', 'UserPreferences'),
    ]

    operations = [
        SetLockTimeout('5s'),
        # TransactionSplit
        migrations.AddField(
            model_name='transactionsplit',
            name='split_method',
            field=models.CharField(choices=[('equal', 'Equal Split'), ('percentage', 'Percentage-based'), ('custom_amount', 'Custom Amount'), ('shares', 'Share-based')], db_default='equal', default='equal', help_text='Method used to calculate this split', max_length=20),
        ),
        migrations.AddField(
            model_name='transactionsplit',
            name='split_value',
            field=models.DecimalField(db_default=0, decimal_places=4, default=0, help_text='Stores percentage (e.g., 33.33) or shares (e.g., 2)', max_digits=12),
        ),
        migrations.AddField(
            model_name='transactionsplit',
            name='currency',
            field=models.ForeignKey(blank=True, help_text='Currency for this split (supports multi-currency groups)', null=True, on_delete=django.db.models.deletion.PROTECT, to=swapper.get_model_name('expense_ai', 'CurrencyInfo')),
        ),
        # Budget
        migrations.AddField(
            model_name='budget',
            name='budget_type',
            field=models.CharField(choices=[('manual', 'Manual Entry'), ('template', 'From Template'), ('ai_suggested', 'AI Suggested')], db_default='manual', default='manual', help_text='Source of this budget', max_length=20),
        ),
        migrations.AddField(
            model_name='budget',
            name='category_allocations',
            field=models.JSONField(blank=True, db_default={}, default=dict, help_text="Category-wise allocation: {category_key: {amount: '500.00', percentage: '25'}}"),
        ),
        migrations.AddField(
            model_name='budget',
            name='template_source',
            field=models.CharField(blank=True, db_default='', default='', help_text="Template name if budget_type='template'", max_length=100),
        ),
        migrations.AddField(
            model_name='budget',
            name='ai_generation_context',
            field=models.JSONField(blank=True, help_text='Stores AI prompt and response for auditing', null=True),
        ),
        # AISettings (skipped by Django when the host swapped the model)
        migrations.AddField(
            model_name='aisettings',
            name='gemini_api_key',
            field=models.BinaryField(blank=True, help_text='Encrypted Google Gemini API key', null=True),
        ),
        migrations.AddField(
            model_name='aisettings',
            name='gemini_model',
            field=models.CharField(default=django_expense_ai.models.host.default_gemini_model, help_text='Gemini model to use', max_length=100),
        ),
        migrations.AddField(
            model_name='aisettings',
            name='active_parser_provider',
            field=models.CharField(choices=django_expense_ai.models.host.provider_choices, default='system', max_length=50, validators=[django_expense_ai.models.host.validate_provider_name]),
        ),
        migrations.AddField(
            model_name='aisettings',
            name='api_key_last_tested',
            field=models.DateTimeField(blank=True, help_text='Last time API keys were tested', null=True),
        ),
        migrations.AddField(
            model_name='aisettings',
            name='api_key_test_status',
            field=models.JSONField(blank=True, default=dict, help_text="Status per provider: {'openai': 'success', 'claude': 'failed'}"),
        ),
        migrations.AddField(
            model_name='aisettings',
            name='ai_opt_in_at',
            field=models.DateTimeField(blank=True, help_text='When the user agreed that statement text may be sent to their AI provider.', null=True),
        ),
        # UserPreferences
        migrations.AddField(
            model_name='userpreferences',
            name='sidebar_collapsed',
            field=models.BooleanField(default=False, help_text='Whether sidebar is collapsed by default'),
        ),
        migrations.AddField(
            model_name='userpreferences',
            name='quick_add_mode',
            field=models.CharField(choices=[('normal', 'Normal - Full parsing'), ('ai', 'AI Mode - Enhanced understanding'), ('shortcut', 'Shortcut Mode - @person $amount format')], default='normal', max_length=20),
        ),
        migrations.AddField(
            model_name='userpreferences',
            name='default_chat_parser',
            field=models.CharField(choices=[('system', 'System'), ('ai', 'AI')], default='ai', max_length=20),
        ),
        migrations.AddField(
            model_name='userpreferences',
            name='review_uploads',
            field=models.BooleanField(blank=True, default=None, help_text="Review statement rows before they are imported; empty: the site's default (EXPENSE_AI['REVIEW_UPLOADS'])", null=True),
        ),
        # Transaction near the end: from its first ALTER until COMMIT, writes to
        # the biggest table wait, so the other tables are done before.
        migrations.AddField(
            model_name='transaction',
            name='expense_classification',
            field=models.CharField(choices=[('regular_monthly', 'Regular Monthly Expense'), ('charity', 'Charity Donation'), ('family_support', 'Family Support'), ('reimbursable', 'Reimbursable Expense'), ('one_time', 'One-time Purchase'), ('irregular', 'Irregular Expense')], db_default='regular_monthly', default='regular_monthly', max_length=20),
        ),
        migrations.AddField(
            model_name='transaction',
            name='exclude_from_totals',
            field=models.BooleanField(db_default=False, default=False, help_text='Auto-calculated based on classification; if True, excluded from regular expense totals'),
        ),
        migrations.AddField(
            model_name='transaction',
            name='exclusion_overridden',
            field=models.BooleanField(db_default=False, default=False, help_text='True when a person set exclude_from_totals by hand; saves then keep it.'),
        ),
        migrations.AddField(
            model_name='transaction',
            name='chat_message',
            field=models.ForeignKey(blank=True, help_text='Link to the chat message that created this transaction', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='resulting_transactions', to='expense_ai.chatmessage', db_index=False),
        ),
        # UploadedFile after Transaction: an INSERT into transactions takes a
        # RowShareLock on every table its foreign keys reference (files among
        # them); altering files first would let such an INSERT deadlock with
        # this migration.
        migrations.AddField(
            model_name='uploadedfile',
            name='is_password_protected',
            field=models.BooleanField(db_default=False, default=False, help_text='Whether this file required a password to open'),
        ),
        migrations.AddField(
            model_name='uploadedfile',
            name='used_password',
            field=models.ForeignKey(blank=True, help_text='Password that successfully unlocked this file', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='unlocked_files', to='expense_ai.statementpassword'),
        ),
        migrations.AddField(
            model_name='uploadedfile',
            name='raw_text_extracted',
            field=models.TextField(blank=True, db_default='', default='', help_text='Raw text extracted from file (for comparison view)'),
        ),
        migrations.AddField(
            model_name='uploadedfile',
            name='parsed_json',
            field=models.JSONField(blank=True, help_text='Structured parsed data (for comparison view)', null=True),
        ),
        migrations.AddField(
            model_name='uploadedfile',
            name='duplicate_of',
            field=models.ForeignKey(blank=True, help_text='Original file if this is a duplicate', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='duplicates', to='expense_ai.uploadedfile'),
        ),
        migrations.AddField(
            model_name='uploadedfile',
            name='duplicate_confidence',
            field=models.DecimalField(blank=True, decimal_places=2, help_text='Confidence score (0-100) for duplicate detection', max_digits=5, null=True),
        ),
        migrations.AddField(
            model_name='uploadedfile',
            name='processing_version',
            field=models.CharField(db_default='1.0', default=django_expense_ai.models.statements.default_processing_version, help_text='Version of parser used (for debugging)', max_length=20),
        ),
    ]
