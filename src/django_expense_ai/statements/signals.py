"""Delete a statement's stored file when its row is deleted.

Connected from :mod:`django_expense_ai.ledger.signals` (loaded in ``AppConfig.ready``).
The file goes only after the deletion commits, so a rolled-back delete keeps it.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from ..models import UploadedFile


@receiver(post_delete, sender=UploadedFile, dispatch_uid="expense_ai_delete_statement_file")
def delete_stored_statement(
    sender: type[UploadedFile], instance: UploadedFile, using: str | None = None, **kwargs: Any
) -> None:
    """Remove ``instance.file`` from its storage after the row's deletion commits."""
    if not instance.file or not instance.file.name:
        return
    storage, name = instance.file.storage, instance.file.name
    transaction.on_commit(lambda: storage.delete(name), using=using)
