"""Sphinx configuration for django-expense-ai's documentation."""

project = "django-expense-ai"
author = "django-expense-ai developers"
copyright = "2026, django-expense-ai developers"
release = "2.0.0.dev0"
extensions = []
exclude_patterns = ["_build"]
html_theme = "alabaster"
master_doc = "index"
