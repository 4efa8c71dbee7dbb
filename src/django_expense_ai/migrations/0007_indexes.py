# 2.0, step 5: the composite indexes (the spec's INDEX STRATEGY, de-duplicated;
# see docs/schema.rst for what was dropped and why).
#
# Non-atomic: on PostgreSQL the indexes on the big tables (transactions, chat
# messages, files) are built CONCURRENTLY, without blocking writes. An
# interrupted run leaves an INVALID index, which the next `migrate` drops and
# rebuilds. Elsewhere they are ordinary CREATE INDEX statements.

from django.db import migrations, models

from django_expense_ai.models.migration_ops import AddIndexConcurrently


class Migration(migrations.Migration):

    atomic = False

    dependencies = [
        ('expense_ai', '0006_populate_defaults'),
    ]

    operations = [
        # Transaction (big table)
        AddIndexConcurrently(
            model_name='transaction',
            index=models.Index(fields=['expense_classification'], name='fin_tx_classification_idx'),
        ),
        AddIndexConcurrently(
            model_name='transaction',
            index=models.Index(fields=['user', 'date', 'expense_classification'], name='fin_tx_user_date_class_idx'),
        ),
        AddIndexConcurrently(
            model_name='transaction',
            index=models.Index(fields=['user', 'account', 'date'], name='fin_tx_user_account_date_idx'),
        ),
        AddIndexConcurrently(
            model_name='transaction',
            index=models.Index(fields=['user', 'exclude_from_totals', 'date'], name='fin_tx_user_excl_date_idx'),
        ),
        AddIndexConcurrently(
            model_name='transaction',
            index=models.Index(fields=['chat_message'], name='fin_tx_chat_message_idx'),
        ),
        # UploadedFile (big table)
        AddIndexConcurrently(
            model_name='uploadedfile',
            index=models.Index(fields=['user', 'sha256'], name='fin_file_user_sha_idx'),
        ),
        # ChatMessage (grows fastest)
        AddIndexConcurrently(
            model_name='chatmessage',
            index=models.Index(fields=['user', 'conversation_id', '-created_at'], name='fin_chat_user_conv_idx'),
        ),
        AddIndexConcurrently(
            model_name='chatmessage',
            index=models.Index(fields=['user', 'status', '-created_at'], name='fin_chat_user_status_idx'),
        ),
        AddIndexConcurrently(
            model_name='chatmessage',
            index=models.Index(fields=['created_at'], name='fin_chat_created_idx'),
        ),
        # StatementPassword
        migrations.AddIndex(
            model_name='statementpassword',
            index=models.Index(fields=['user', 'account'], name='fin_pw_user_account_idx'),
        ),
        migrations.AddIndex(
            model_name='statementpassword',
            index=models.Index(fields=['user', 'is_default'], name='fin_pw_user_default_idx'),
        ),
        # StatementProcessingLog
        migrations.AddIndex(
            model_name='statementprocessinglog',
            index=models.Index(fields=['uploaded_file', 'status'], name='fin_log_file_status_idx'),
        ),
        migrations.AddIndex(
            model_name='statementprocessinglog',
            index=models.Index(fields=['created_at'], name='fin_log_created_idx'),
        ),
        migrations.AddIndex(
            model_name='statementprocessinglog',
            index=models.Index(fields=['uploaded_file', 'processing_stage', 'status'], name='fin_log_file_stage_status_idx'),
        ),
        migrations.AddIndex(
            model_name='statementprocessinglog',
            index=models.Index(fields=['uploaded_file', '-created_at'], name='fin_log_file_created_idx'),
        ),
        # TransactionMention
        migrations.AddIndex(
            model_name='transactionmention',
            index=models.Index(fields=['mention_type', 'mentioned_user'], name='fin_mention_type_user_idx'),
        ),
        migrations.AddIndex(
            model_name='transactionmention',
            index=models.Index(fields=['mention_type', 'mentioned_group'], name='fin_mention_type_group_idx'),
        ),
        migrations.AddIndex(
            model_name='transactionmention',
            index=models.Index(fields=['transaction', 'mention_type'], name='fin_mention_tx_type_idx'),
        ),
        # BudgetTemplate
        migrations.AddIndex(
            model_name='budgettemplate',
            index=models.Index(fields=['is_system', 'is_active', '-usage_count'], name='fin_tpl_sys_active_use_idx'),
        ),
        migrations.AddIndex(
            model_name='budgettemplate',
            index=models.Index(fields=['-usage_count'], name='fin_tpl_usage_idx'),
        ),
        migrations.AddIndex(
            model_name='budgettemplate',
            index=models.Index(fields=['created_by', 'is_active'], name='fin_tpl_creator_active_idx'),
        ),
        # StatementMerge
        migrations.AddIndex(
            model_name='statementmerge',
            index=models.Index(fields=['primary_file', 'status'], name='fin_merge_primary_status_idx'),
        ),
        migrations.AddIndex(
            model_name='statementmerge',
            index=models.Index(fields=['merged_by', 'status'], name='fin_merge_by_status_idx'),
        ),
        migrations.AddIndex(
            model_name='statementmerge',
            index=models.Index(fields=['created_at'], name='fin_merge_created_idx'),
        ),
        migrations.AddIndex(
            model_name='statementmerge',
            index=models.Index(fields=['merged_by', '-created_at'], name='fin_merge_by_created_idx'),
        ),
        migrations.AddIndex(
            model_name='statementmerge',
            index=models.Index(fields=['status', '-similarity_score'], name='fin_merge_status_score_idx'),
        ),
    ]
