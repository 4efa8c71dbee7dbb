"""Processing a statement outside the request with Django's tasks framework.

Used when ``EXPENSE_AI["TASKS_MODE"] == "enqueue"``. Only the file's id goes
into the queue (task arguments must be JSON, and a password must never sit in
a queue); the worker reads everything else from the database and storage.
Django 6.0+ ships ``django.tasks``; on Django 5.2 install the ``django-tasks``
backport.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

try:
    from django.tasks import task
except ImportError:  # pragma: no cover - Django 5.2 with the backport
    from django_tasks import task  # type: ignore[no-redef]

__all__ = ["enqueue_processing", "process_statement"]


@task()
def process_statement(uploaded_file_id: int) -> dict[str, Any]:
    """Finish importing a queued file.

    :returns: ``{"uploaded_file": id, "status": ..., "created": n, "duplicates": n}`` (JSON).
    :raises UploadedFile.DoesNotExist: the file was deleted after it was queued.
    :raises InvalidTransition: the file is not ``queued``.
    """
    from .pipeline import process_queued

    uploaded_file = process_queued(uploaded_file_id)
    return {
        "uploaded_file": uploaded_file.pk,
        "status": uploaded_file.status,
        "created": len(uploaded_file.created_transactions),
        "duplicates": len(uploaded_file.skipped_duplicates),
    }


def enqueue_processing(uploaded_file: Any) -> None:
    """Enqueue :func:`process_statement` with the file's id once the current transaction commits.

    In autocommit mode it is enqueued at once; inside ``transaction.atomic`` the
    worker could otherwise look for a row that is not committed yet.
    """
    pk = int(uploaded_file.pk)
    transaction.on_commit(lambda: process_statement.enqueue(pk))
