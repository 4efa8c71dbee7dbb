"""Processing a statement outside the request with Django's tasks framework.

Used when ``EXPENSE_AI["TASKS_MODE"] == "enqueue"`` (and for large files in
immediate mode). Only the file's id goes into the queue (task arguments must
be JSON, and a password must never sit in a queue); the worker reads
everything else from the database and storage. Django 6.0+ ships
``django.tasks``; on Django 5.2 install the ``django-tasks`` backport.

The task and the function that enqueues it live with the pipeline
(:mod:`.pipeline`), which decides when to queue; this module keeps their
former import path.
"""

from __future__ import annotations

from .pipeline import enqueue_processing, process_statement

__all__ = ["enqueue_processing", "process_statement"]
