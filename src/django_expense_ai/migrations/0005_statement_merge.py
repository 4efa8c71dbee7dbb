# 2.0, step 4: StatementMerge (many-to-many to UploadedFile).

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from django_expense_ai.models.migration_ops import SetLockTimeout


class Migration(migrations.Migration):

    dependencies = [
        ('expense_ai', '0004_modify_existing_tables'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        SetLockTimeout('5s'),
        migrations.CreateModel(
            name='StatementMerge',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('merge_strategy', models.CharField(choices=[('keep_primary', 'Keep Primary Only'), ('merge_all', 'Merge All Transactions'), ('manual', 'Manual Review')], default='manual', max_length=20)),
                ('status', models.CharField(choices=[('suggested', 'Suggested by System'), ('approved', 'Approved by User'), ('rejected', 'Rejected by User'), ('completed', 'Merge Completed')], default='suggested', max_length=20)),
                ('similarity_score', models.DecimalField(decimal_places=2, help_text='0-100 similarity score', max_digits=5)),
                ('details', models.JSONField(blank=True, default=dict, help_text='Why: matched rows, unmatched rows, each part of the score')),
                ('merged_at', models.DateTimeField(blank=True, null=True)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('duplicate_files', models.ManyToManyField(help_text='Files identified as duplicates', related_name='merge_as_duplicate', to='expense_ai.uploadedfile')),
                ('merged_by', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='expense_ai_statement_merges', to=settings.AUTH_USER_MODEL)),
                ('primary_file', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='merge_as_primary', to='expense_ai.uploadedfile')),
            ],
            options={
                'db_table': 'finance_statement_merges',
                'ordering': ['-created_at'],
            },
        ),
    ]
