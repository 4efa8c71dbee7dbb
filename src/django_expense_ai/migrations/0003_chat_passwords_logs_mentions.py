# 2.0, step 2: new tables with foreign keys (phase 1).

import django.db.models.deletion
import django.db.models.functions.comparison
from django.conf import settings
from django.db import migrations, models

from django_expense_ai.models.migration_ops import SetLockTimeout


class Migration(migrations.Migration):

    dependencies = [
        ('expense_ai', '0002_budget_templates'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        SetLockTimeout('5s'),
        migrations.CreateModel(
            name='ChatMessage',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('conversation_id', models.CharField(db_index=True, help_text="Groups messages into conversations (e.g., 'main', 'budget-planning')", max_length=255)),
                ('message_type', models.CharField(choices=[('user', 'User Message'), ('system', 'System Response'), ('suggestion', 'Transaction Suggestion')], default='user', max_length=20)),
                ('content', models.TextField(help_text='The actual message text')),
                ('metadata', models.JSONField(default=dict, help_text='Stores parsed data, attachments, mentions, AI confidence scores')),
                ('status', models.CharField(choices=[('draft', 'Draft'), ('processing', 'Processing'), ('completed', 'Completed'), ('failed', 'Failed')], default='draft', max_length=20)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('related_file', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='chat_messages', to='expense_ai.uploadedfile')),
                ('related_transaction', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='chat_messages', to='expense_ai.transaction')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='expense_ai_chat_messages', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'db_table': 'finance_chat_messages',
                'ordering': ['-created_at'],
            },
        ),
        migrations.CreateModel(
            name='StatementPassword',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('encrypted_password', models.BinaryField(help_text='Password encrypted using Fernet symmetric encryption')),
                ('password_hint', models.CharField(blank=True, help_text='User-provided hint (not the actual password)', max_length=255)),
                ('file_pattern', models.CharField(blank=True, help_text="Regex pattern for filename matching (e.g., 'hdfc_.*\\.pdf')", max_length=255)),
                ('is_default', models.BooleanField(default=False, help_text='Default password to try first for this account')),
                ('last_used', models.DateTimeField(blank=True, null=True)),
                ('success_count', models.IntegerField(default=0, help_text='Number of times this password worked')),
                ('default_scope', models.GeneratedField(db_persist=True, expression=models.Case(models.When(is_default=True, then=django.db.models.functions.comparison.Coalesce(models.F('account_id'), models.Value(0))), default=None, output_field=models.BigIntegerField()), output_field=models.BigIntegerField(null=True))),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('account', models.ForeignKey(blank=True, help_text='Optional: Link password to specific account', null=True, on_delete=django.db.models.deletion.CASCADE, related_name='statement_passwords', to='expense_ai.account')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='expense_ai_statement_passwords', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'db_table': 'finance_statement_passwords',
                'ordering': ['-is_default', '-success_count', models.OrderBy(models.F('last_used'), descending=True, nulls_last=True)],
                'constraints': [models.UniqueConstraint(fields=('user', 'default_scope'), name='unique_default_per_account')],
            },
        ),
        migrations.CreateModel(
            name='StatementProcessingLog',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('processing_stage', models.CharField(choices=[('upload', 'File Upload'), ('password_decrypt', 'Password Decryption'), ('text_extraction', 'Text Extraction'), ('parse_attempt', 'Parse Attempt'), ('ai_parse', 'AI Parsing'), ('validation', 'Data Validation'), ('deduplication', 'Duplicate Detection'), ('transaction_creation', 'Transaction Creation'), ('completion', 'Process Completion')], max_length=30)),
                ('status', models.CharField(choices=[('pending', 'Pending'), ('running', 'Running'), ('success', 'Success'), ('failed', 'Failed'), ('skipped', 'Skipped')], default='pending', max_length=20)),
                ('parser_type', models.CharField(blank=True, choices=[('system', 'System Parser'), ('ai', 'AI Parser'), ('hybrid', 'Hybrid')], max_length=20)),
                ('ai_provider', models.CharField(blank=True, help_text="e.g., 'openai', 'claude', 'gemini'", max_length=50)),
                ('details', models.JSONField(default=dict, help_text='Parser output, extracted data, errors, confidence scores, etc.')),
                ('execution_time_ms', models.IntegerField(help_text='Execution time in milliseconds', null=True)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('uploaded_file', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='processing_logs', to='expense_ai.uploadedfile')),
            ],
            options={
                'db_table': 'finance_statement_processing_logs',
                'ordering': ['uploaded_file', 'created_at'],
            },
        ),
        migrations.CreateModel(
            name='TransactionMention',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('mention_type', models.CharField(choices=[('user', 'User Mention'), ('group', 'Group Mention'), ('category', 'Category Mention'), ('tag', 'Tag Mention')], max_length=20)),
                ('mentioned_text', models.CharField(help_text="Original mention text (e.g., '@john')", max_length=100)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('created_by', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='expense_ai_mentions_created', to=settings.AUTH_USER_MODEL)),
                ('mentioned_group', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='transaction_mentions', to='expense_ai.group')),
                ('mentioned_user', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='expense_ai_transaction_mentions', to=settings.AUTH_USER_MODEL)),
                ('transaction', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='mentions', to='expense_ai.transaction')),
            ],
            options={
                'db_table': 'finance_transaction_mentions',
                'ordering': ['transaction', 'created_at'],
            },
        ),
    ]
