# Release 1.0: the ledger as it stood before the 2.0 enhancement.

import django.db.models.deletion
import django_expense_ai.models.host
import django_expense_ai.models.statements
import swapper
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='CurrencyInfo',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('code', models.CharField(max_length=3, unique=True, verbose_name='ISO 4217 code')),
                ('name', models.CharField(blank=True, max_length=100)),
                ('symbol', models.CharField(blank=True, max_length=10)),
                ('minor_units', models.PositiveSmallIntegerField(default=2, help_text="Decimal places of the currency's minor unit (ISO 4217).")),
                ('numeric_code', models.PositiveSmallIntegerField(default=0)),
                ('is_active', models.BooleanField(default=True)),
            ],
            options={
                'verbose_name': 'currency',
                'verbose_name_plural': 'currencies',
                'db_table': 'expense_ai_currency_info',
                'ordering': ['code'],
                'abstract': False,
                'swappable': swapper.swappable_setting('expense_ai', 'CurrencyInfo'),
            },
        ),
        migrations.CreateModel(
            name='AISettings',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('openai_api_key', models.BinaryField(blank=True, help_text='Encrypted OpenAI API key', null=True)),
                ('openai_model', models.CharField(default=django_expense_ai.models.host.default_openai_model, max_length=100)),
                ('claude_api_key', models.BinaryField(blank=True, help_text='Encrypted Anthropic API key', null=True)),
                ('claude_model', models.CharField(default=django_expense_ai.models.host.default_claude_model, max_length=100)),
                ('user', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='expense_ai_settings', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'AI settings',
                'verbose_name_plural': 'AI settings',
                'db_table': 'expense_ai_ai_settings',
                'abstract': False,
                'swappable': swapper.swappable_setting('expense_ai', 'AISettings'),
            },
        ),
        migrations.CreateModel(
            name='UserPreferences',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('default_currency', models.CharField(default='USD', max_length=3)),
                ('user', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='expense_ai_preferences', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'user preferences',
                'verbose_name_plural': 'user preferences',
                'db_table': 'expense_ai_user_preferences',
                'abstract': False,
                'swappable': swapper.swappable_setting('expense_ai', 'UserPreferences'),
            },
        ),
        migrations.CreateModel(
            name='Account',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=200)),
                ('institution', models.CharField(blank=True, max_length=200)),
                ('number_mask', models.CharField(blank=True, help_text='Masked account number, e.g. ****1234', max_length=32)),
                ('currency', models.CharField(default='USD', help_text='ISO 4217 code', max_length=3)),
                ('is_default', models.BooleanField(default=False)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='expense_ai_accounts', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'db_table': 'finance_accounts',
                'ordering': ['name'],
            },
        ),
        migrations.CreateModel(
            name='Budget',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=200)),
                ('period', models.CharField(choices=[('monthly', 'Monthly'), ('quarterly', 'Quarterly'), ('yearly', 'Yearly'), ('custom', 'Custom')], default='monthly', max_length=20)),
                ('start_date', models.DateField()),
                ('end_date', models.DateField()),
                ('amount', models.DecimalField(decimal_places=4, max_digits=15)),
                ('currency', models.CharField(default='USD', help_text='ISO 4217 code', max_length=3)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='expense_ai_budgets', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'db_table': 'finance_budgets',
                'ordering': ['-start_date'],
            },
        ),
        migrations.CreateModel(
            name='Category',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('key', models.SlugField(help_text="Stable key used by templates and imports, e.g. 'housing'", max_length=100)),
                ('name', models.CharField(max_length=100)),
                ('is_system', models.BooleanField(default=False)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('parent', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='children', to='expense_ai.category')),
                ('user', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='expense_ai_categories', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name_plural': 'categories',
                'db_table': 'finance_categories',
                'ordering': ['name'],
                'constraints': [models.UniqueConstraint(fields=('user', 'key'), name='expense_ai_category_user_key')],
            },
        ),
        migrations.CreateModel(
            name='Group',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=200)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('created_by', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='expense_ai_groups_created', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'db_table': 'finance_groups',
                'ordering': ['name'],
            },
        ),
        migrations.CreateModel(
            name='GroupMember',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('joined_at', models.DateTimeField(auto_now_add=True)),
                ('group', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='memberships', to='expense_ai.group')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='expense_ai_memberships', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'db_table': 'finance_group_members',
                'constraints': [models.UniqueConstraint(fields=('group', 'user'), name='expense_ai_group_member_unique')],
            },
        ),
        migrations.AddField(
            model_name='group',
            name='members',
            field=models.ManyToManyField(related_name='expense_ai_groups', through='expense_ai.GroupMember', to=settings.AUTH_USER_MODEL),
        ),
        migrations.CreateModel(
            name='UploadedFile',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('file', models.FileField(blank=True, max_length=255, storage=django_expense_ai.models.statements.statement_storage, upload_to=django_expense_ai.models.statements.statement_upload_to)),
                ('filename', models.CharField(help_text='The name the user gave the file', max_length=255)),
                ('size', models.BigIntegerField(default=0)),
                ('sha256', models.CharField(blank=True, db_index=True, max_length=64)),
                ('content_type', models.CharField(blank=True, max_length=100)),
                ('status', models.CharField(choices=[('pending', 'Pending'), ('queued', 'Queued'), ('processing', 'Processing'), ('awaiting_review', 'Awaiting review'), ('completed', 'Completed'), ('failed', 'Failed')], default='pending', max_length=20)),
                ('error_stage', models.CharField(blank=True, max_length=30)),
                ('error_message', models.TextField(blank=True)),
                ('processed_at', models.DateTimeField(blank=True, null=True)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('account', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='uploaded_files', to='expense_ai.account')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='expense_ai_uploaded_files', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'db_table': 'finance_uploaded_files',
                'ordering': ['-created_at'],
            },
        ),
        migrations.CreateModel(
            name='Transaction',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('date', models.DateField()),
                ('amount', models.DecimalField(decimal_places=4, max_digits=15)),
                ('currency', models.CharField(default='USD', help_text='ISO 4217 code', max_length=3)),
                ('description', models.CharField(blank=True, max_length=500)),
                ('merchant', models.CharField(blank=True, max_length=200)),
                ('notes', models.TextField(blank=True)),
                ('source', models.CharField(choices=[('manual', 'Manual'), ('chat', 'Chat'), ('statement', 'Statement import')], default='manual', max_length=20)),
                ('bank_id', models.CharField(blank=True, help_text="The bank's own id (OFX FITID)", max_length=255)),
                ('import_fingerprint', models.CharField(blank=True, db_index=True, help_text='sha256 of account, date, amount, description', max_length=64)),
                ('is_reimbursable', models.BooleanField(default=False)),
                ('is_recurring', models.BooleanField(default=False)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('account', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='transactions', to='expense_ai.account')),
                ('category', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='transactions', to='expense_ai.category')),
                ('group', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='transactions', to='expense_ai.group')),
                ('paid_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='expense_ai_paid_transactions', to=settings.AUTH_USER_MODEL)),
                ('uploaded_file', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='transactions', to='expense_ai.uploadedfile')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='expense_ai_transactions', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'db_table': 'finance_transactions',
                'ordering': ['-date', '-id'],
            },
        ),
        migrations.CreateModel(
            name='TransactionSplit',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('amount', models.DecimalField(decimal_places=4, max_digits=15)),
                ('is_settled', models.BooleanField(default=False)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('participant', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='expense_ai_splits', to=settings.AUTH_USER_MODEL)),
                ('transaction', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='splits', to='expense_ai.transaction')),
            ],
            options={
                'db_table': 'finance_transaction_splits',
                'ordering': ['transaction', 'id'],
                'constraints': [models.UniqueConstraint(fields=('transaction', 'participant'), name='expense_ai_split_unique')],
            },
        ),
    ]
