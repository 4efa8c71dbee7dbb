# 2.0: an account's saved bank profile (how to read its CSV exports), plain JSON.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('expense_ai', '0007_indexes'),
    ]

    operations = [
        migrations.AddField(
            model_name='account',
            name='bank_profile',
            field=models.JSONField(blank=True, help_text="How to read this account's CSV exports (a bank profile as plain JSON), saved after an import; see statements.account_profiles.", null=True),
        ),
    ]
