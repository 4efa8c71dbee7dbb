"""System checks for a half-done installation: the URLs not included, statement storage missing or public."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib import admin
from django.core import checks
from django.core.files.storage import Storage
from django.test import override_settings
from django.urls import path

from django_expense_ai.checks import check_statement_storage, check_urls_included

#: A host URLconf that forgot ``include("django_expense_ai.urls")`` (this module, as ROOT_URLCONF).
urlpatterns = [path("admin/", admin.site.urls)]


def ids(messages) -> list[str]:
    return [m.id for m in messages]


def expense_ai_messages(tags) -> list[checks.CheckMessage]:
    return [m for m in checks.run_checks(tags=tags) if m.id and m.id.startswith("expense_ai.")]


# -- the URLs ----------------------------------------------------------------------


def test_included_urls_pass():
    assert check_urls_included() == []
    assert expense_ai_messages([checks.Tags.urls]) == []


@override_settings(ROOT_URLCONF=__name__)
def test_urls_not_included_is_an_error():
    errors = expense_ai_messages([checks.Tags.urls])
    assert ids(errors) == ["expense_ai.E005"]
    assert errors[0].level == checks.ERROR
    assert __name__ in errors[0].msg and "NoReverseMatch" in errors[0].msg
    assert 'include("django_expense_ai.urls")' in errors[0].hint


@pytest.mark.django_db
@override_settings(ROOT_URLCONF=__name__)
def test_what_the_check_prevents(client, django_user_model):
    """The admin's file page is the 500 a host saw while `check` said nothing."""
    from django.urls import NoReverseMatch

    from django_expense_ai.models import UploadedFile
    from django_expense_ai.statements import import_statement

    admin_user = django_user_model.objects.create_superuser("root", "root@example.com", "pw")
    uf = import_statement(admin_user, b"Date,Description,Amount\n2024-03-01,Coffee,-3.50\n2024-03-02,Pay,9.00\n")
    assert UploadedFile.objects.filter(pk=uf.pk).exists()
    client.force_login(admin_user)
    client.raise_request_exception = True
    with pytest.raises(NoReverseMatch):
        client.get(f"/admin/expense_ai/uploadedfile/{uf.pk}/change/")


@override_settings(ROOT_URLCONF=None)
def test_no_urlconf_is_left_to_django():
    assert check_urls_included() == []


# -- the storage ---------------------------------------------------------------------


def test_the_default_private_storage_passes():
    assert check_statement_storage() == []
    assert [m for m in expense_ai_messages([checks.Tags.security]) if m.id.endswith("004")] == []


def test_no_private_root_is_an_error(settings):
    del settings.BASE_DIR
    settings.EXPENSE_AI = {}
    assert ids(check_statement_storage()) == ["expense_ai.E004"]
    assert "expense_ai.E004" in ids(expense_ai_messages([checks.Tags.security]))


@pytest.mark.parametrize(
    ("expense_ai", "words"),
    [({"PRIVATE_STORAGE_ROOT": "relative/folder"}, "relative"), ({"STORAGE_ALIAS": "nope"}, "'nope'")],
    ids=["relative-root", "unknown-alias"],
)
def test_misconfigured_storage_is_an_error(settings, expense_ai, words):
    settings.EXPENSE_AI = expense_ai
    errors = check_statement_storage()
    assert ids(errors) == ["expense_ai.E004"] and words in errors[0].msg
    assert errors[0].level == checks.ERROR


@pytest.mark.parametrize("setting", ["MEDIA_ROOT", "STATIC_ROOT"])
def test_private_root_inside_a_web_root_warns(settings, tmp_path, setting):
    setattr(settings, setting, str(tmp_path / "web"))
    settings.EXPENSE_AI = {"PRIVATE_STORAGE_ROOT": str(tmp_path / "web" / "statements")}
    warnings = check_statement_storage()
    assert ids(warnings) == ["expense_ai.W004"]
    assert warnings[0].level == checks.WARNING
    assert setting in warnings[0].msg and "PRIVATE_STORAGE_ROOT" in warnings[0].hint


def test_private_root_beside_the_web_roots_passes(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.STATIC_ROOT = str(tmp_path / "static")
    settings.EXPENSE_AI = {"PRIVATE_STORAGE_ROOT": str(tmp_path / "media-private")}  # a prefix is not a parent
    assert check_statement_storage() == []


def _with_storage(settings, backend: str, **options) -> None:
    settings.STORAGES = {**settings.STORAGES, "statements": {"BACKEND": backend, "OPTIONS": options}}
    settings.EXPENSE_AI = {"STORAGE_ALIAS": "statements"}


def test_the_hosts_media_storage_warns(settings, tmp_path):
    """The old default: STORAGE_ALIAS "default", a FileSystemStorage in MEDIA_ROOT."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    _with_storage(settings, "django.core.files.storage.FileSystemStorage")
    warnings = check_statement_storage()
    assert ids(warnings) == ["expense_ai.W004"] and "MEDIA_ROOT" in warnings[0].msg


def test_a_storage_with_its_own_public_url_warns(settings, tmp_path):
    _with_storage(settings, "django.core.files.storage.FileSystemStorage",
                  location=str(tmp_path / "files"), base_url="https://cdn.example.com/statements/")
    warnings = check_statement_storage()
    assert ids(warnings) == ["expense_ai.W004"] and "https://cdn.example.com/statements/" in warnings[0].msg


def test_a_storage_in_the_working_directory_warns(settings, tmp_path, monkeypatch):
    """MEDIA_ROOT unset: Django's FileSystemStorage writes where the process started."""
    monkeypatch.chdir(tmp_path)
    settings.MEDIA_ROOT = ""
    _with_storage(settings, "django.core.files.storage.FileSystemStorage")
    warnings = check_statement_storage()
    assert ids(warnings) == ["expense_ai.W004"] and "working directory" in warnings[0].msg


def test_a_private_folder_of_the_hosts_own_passes(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    _with_storage(settings, "django.core.files.storage.FileSystemStorage", location=str(tmp_path / "private"))
    assert check_statement_storage() == []


class BucketStorage(Storage):
    """Configured as django-storages' S3Storage is (its documented attributes), without the network."""

    def __init__(self, querystring_auth=True, default_acl=None):
        self.querystring_auth = querystring_auth
        self.default_acl = default_acl


@pytest.mark.parametrize(
    ("options", "words"),
    [({"querystring_auth": False}, "querystring_auth"), ({"default_acl": "public-read"}, "public-read")],
)
def test_a_public_bucket_warns(settings, options, words):
    _with_storage(settings, f"{__name__}.BucketStorage", **options)
    warnings = check_statement_storage()
    assert ids(warnings) == ["expense_ai.W004"] and words in warnings[0].msg


def test_a_private_bucket_passes(settings):
    _with_storage(settings, f"{__name__}.BucketStorage", querystring_auth=True, default_acl="private")
    assert check_statement_storage() == []


def test_the_example_project_checks_clean(tmp_path):
    """The demo's site: private statement storage, URLs included, nothing for `check` to say."""
    import os
    import subprocess
    import sys

    from cryptography.fernet import Fernet

    root = Path(__file__).resolve().parents[1]
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "PYTHONPATH")}
    env.update(PYTHONPATH=str(root / "src"), STATEMENT_PASSWORD_KEY=Fernet.generate_key().decode(),
               EXPENSE_AI_DEMO_DB="sqlite", EXPENSE_AI_DEMO_DBNAME=str(tmp_path / "demo.sqlite3"))
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=root / "example_project", env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "expense_ai." not in result.stdout + result.stderr
    assert "no issues" in result.stdout
