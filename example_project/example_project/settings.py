"""Example host project: django-expense-ai wired into its own ``users`` and
``reference`` apps through the swap settings.

SQLite by default; ``EXPENSE_AI_DEMO_DB=postgres`` or ``mariadb`` for the
real servers.
"""

from __future__ import annotations

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "example-project-not-secret")
DEBUG = True
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "users",
    "reference",
    "django_expense_ai",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "django_htmx",
]

# The REST API (pip install "django-expense-ai[api]"): session and token authentication.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
from django_expense_ai.api import SPECTACULAR_SETTINGS  # noqa: E402,F401

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Optional for the pages (they read the HX-Request header without it); shown here as a host would.
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "example_project.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
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
WSGI_APPLICATION = "example_project.wsgi.application"

_db = os.environ.get("EXPENSE_AI_DEMO_DB", "sqlite")
if _db == "postgres":
    DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql", "NAME": os.environ.get("EXPENSE_AI_DEMO_DBNAME", "test"),
                             "USER": os.environ.get("PGUSER", "postgres"), "HOST": "127.0.0.1", "PORT": "5432"}}
elif _db in ("mariadb", "mysql"):
    DATABASES = {"default": {"ENGINE": "django.db.backends.mysql", "NAME": os.environ.get("EXPENSE_AI_DEMO_DBNAME", "test"),
                             "USER": "root", "PASSWORD": "", "HOST": "127.0.0.1", "PORT": "3306",
                             "OPTIONS": {"charset": "utf8mb4"}}}
else:
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3",
                             "NAME": os.environ.get("EXPENSE_AI_DEMO_DBNAME", str(BASE_DIR / "db.sqlite3"))}}

AUTH_USER_MODEL = "users.User"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The swap settings (swapper derives these names from the app label).
EXPENSE_AI_CURRENCYINFO_MODEL = "reference.CurrencyInfo"
EXPENSE_AI_AISETTINGS_MODEL = "users.AISettings"
EXPENSE_AI_USERPREFERENCES_MODEL = "users.UserPreferences"


def _demo_key() -> str:
    """The demo's Fernet key: from the environment, else a git-ignored file made once.

    Reusing the file keeps stored passwords readable across restarts (the
    spec's generate-at-start-up line would lose them). A real site sets
    STATEMENT_PASSWORD_KEY from its secret store instead.
    """
    env = os.environ.get("STATEMENT_PASSWORD_KEY")
    if env:
        return env
    path = BASE_DIR / ".demo_key"
    if not path.exists():
        from cryptography.fernet import Fernet

        path.write_bytes(Fernet.generate_key())
        path.chmod(0o600)
    return path.read_text().strip()


STATEMENT_PASSWORD_KEY = _demo_key()

EXPENSE_AI = {
    "DEFAULT_CURRENCY": "USD",
    # Statement files: the library's private folder (no URL; downloads go through the
    # permission-checked view), outside MEDIA_ROOT. This is also the default under BASE_DIR;
    # a real site points it at a persistent, backed-up volume (or names a private bucket
    # with "STORAGE_ALIAS").
    "PRIVATE_STORAGE_ROOT": os.environ.get("EXPENSE_AI_PRIVATE_STORAGE_ROOT", str(BASE_DIR / "expense_ai_private")),
}

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": str(BASE_DIR / "media"), "base_url": "/media/"}},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = BASE_DIR / "media"
MEDIA_URL = "/media/"
STATIC_URL = "static/"
LOGIN_URL = "login"
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
