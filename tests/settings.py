"""Minimal settings for the library's test suite.

The database comes from ``EXPENSE_AI_TEST_DB`` (``sqlite`` by default,
``postgres`` or ``mariadb``). Migrations are never disabled: the shipped chain
runs for every test session.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

# Statement files go to the library's default storage, a private folder under
# BASE_DIR (see django_expense_ai.models.storage): a throwaway BASE_DIR keeps them out
# of the checkout, and the tests run the default a host gets.
BASE_DIR = Path(tempfile.mkdtemp(prefix="expense-ai-tests-"))
atexit.register(shutil.rmtree, BASE_DIR, ignore_errors=True)

SECRET_KEY = "tests-only-not-secret"
DEBUG = False
USE_TZ = True
TIME_ZONE = "UTC"
ROOT_URLCONF = "tests.urls"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # The browser tests' live server serves the pages' and the admin's static files.
    "django.contrib.staticfiles",
    "django_expense_ai",
]

# The REST API (the [api] extra, part of [dev]); the rest of the suite runs without it.
try:
    import django_filters  # noqa: F401
    import drf_spectacular  # noqa: F401
    import rest_framework  # noqa: F401
except ImportError:  # pragma: no cover
    API_INSTALLED = False
else:
    API_INSTALLED = True
    INSTALLED_APPS += ["rest_framework", "django_filters", "drf_spectacular"]

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.BasicAuthentication",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}

from django_expense_ai.api import SPECTACULAR_SETTINGS  # noqa: E402,F401

MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

_db = os.environ.get("EXPENSE_AI_TEST_DB", "sqlite")
if _db == "postgres":
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": os.environ.get("PGDATABASE", "test"),
            "USER": os.environ.get("PGUSER", "postgres"),
            "HOST": os.environ.get("PGHOST", "127.0.0.1"),
            "PORT": os.environ.get("PGPORT", "5432"),
            "TEST": {"NAME": os.environ.get("EXPENSE_AI_TEST_DBNAME", "test_expense_ai")},
        }
    }
elif _db in ("mariadb", "mysql"):
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.mysql",
            "NAME": os.environ.get("MYSQL_DATABASE", "test"),
            "USER": os.environ.get("MYSQL_USER", "root"),
            "PASSWORD": os.environ.get("MYSQL_PASSWORD", ""),
            "HOST": os.environ.get("MYSQL_HOST", "127.0.0.1"),
            "PORT": os.environ.get("MYSQL_PORT", "3306"),
            "OPTIONS": {"charset": "utf8mb4"},
            "TEST": {
                "NAME": os.environ.get("EXPENSE_AI_TEST_DBNAME", "test_expense_ai"),
                "CHARSET": "utf8mb4",
                "COLLATION": "utf8mb4_unicode_ci",
            },
        }
    }
else:
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}

# Test-only keys (two, to exercise MultiFernet); never use these anywhere else.
STATEMENT_PASSWORD_KEY = [
    "s3G0wFZ3sXwFAf6J_dokkwID3MfbxH1L61b4VLBqcBg=",
]

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

STATIC_URL = "static/"

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

EXPENSE_AI: dict = {}

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Django 6.0+ ships django.tasks; on 5.2 the django-tasks backport provides it.
try:
    import django.tasks  # noqa: F401

    TASKS_MODULE = "django.tasks"
except ImportError:
    TASKS_MODULE = "django_tasks"
    INSTALLED_APPS.append("django_tasks")
TASKS = {"default": {"BACKEND": f"{TASKS_MODULE}.backends.immediate.ImmediateBackend"}}
