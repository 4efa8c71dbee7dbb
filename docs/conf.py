"""Sphinx configuration for django-expense-ai's documentation."""

import sys
from pathlib import Path

# The settings page is generated from the library's typed settings object
# (docs/settings_table.py reads django_expense_ai.conf.Settings).
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

project = "django-expense-ai"
author = "django-expense-ai developers"
copyright = "2026, django-expense-ai developers"
release = "2.0.0.dev0"
extensions = ["settings_table"]
exclude_patterns = ["_build"]
html_theme = "alabaster"
master_doc = "index"
