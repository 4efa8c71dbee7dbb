"""Server-rendered pages: chat, statements, merges, budgets and settings.

Served by the package's own URLconf (``include("django_expense_ai.urls")``);
the views are thin: they read with ``for_user`` (another user's id is a 404)
and write through the library's services. See ``docs/pages.rst``.
"""
