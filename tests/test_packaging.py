"""The built wheel in a brand-new ``django-admin startproject`` site, on the database under test."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from .dbtools import scratch_database

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(ROOT)],
        check=True, timeout=300,
    )
    (path,) = out.glob("django_expense_ai-*.whl")
    return path


def test_wheel_carries_migrations_and_py_typed(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "django_expense_ai/py.typed" in names
    migrations = {n for n in names if n.startswith("django_expense_ai/migrations/00")}
    assert len(migrations) >= 7
    # The corpus is third-party (partly GPL/AGPL) test data: never in the wheel.
    assert not any("corpus" in n or n.endswith((".ofx", ".qfx")) for n in names)


def _site_settings(vendor: str, name: str) -> str:
    if vendor == "sqlite":
        db = f"{{'ENGINE': 'django.db.backends.sqlite3', 'NAME': {name!r}}}"
    elif vendor == "postgresql":
        db = (f"{{'ENGINE': 'django.db.backends.postgresql', 'NAME': {name!r}, 'USER': 'postgres', "
              "'HOST': '127.0.0.1', 'PORT': '5432'}")
    else:
        db = (f"{{'ENGINE': 'django.db.backends.mysql', 'NAME': {name!r}, 'USER': 'root', 'PASSWORD': '', "
              "'HOST': '127.0.0.1', 'PORT': '3306', 'OPTIONS': {'charset': 'utf8mb4'}}")
    return (
        "\n# added by the test, as a host would\n"
        "INSTALLED_APPS += ['django_expense_ai']\n"
        "import os\nSTATEMENT_PASSWORD_KEY = os.environ['STATEMENT_PASSWORD_KEY']\n"
        f"DATABASES = {{'default': {db}}}\n"
    )


@pytest.mark.django_db(transaction=True)
def test_new_startproject_site_with_the_wheel(wheel, tmp_path):
    from cryptography.fernet import Fernet

    target = tmp_path / "site-packages"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(wheel)],
                   check=True, timeout=300)
    subprocess.run([sys.executable, "-m", "django", "startproject", "hostsite", str(tmp_path)], check=True,
                   env=dict(os.environ, PYTHONPATH=str(target)), timeout=120)
    with scratch_database("ea_wheel") as (vendor, name):
        with open(tmp_path / "hostsite" / "settings.py", "a") as fh:
            fh.write(_site_settings(vendor, name))
        # Only the installed wheel, never the source tree, provides the package.
        env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "PYTHONPATH")}
        env.update(PYTHONPATH=str(target), STATEMENT_PASSWORD_KEY=Fernet.generate_key().decode())

        def manage(*args):
            return subprocess.run([sys.executable, "manage.py", *args], cwd=tmp_path, env=env,
                                  capture_output=True, text=True, timeout=600)

        # A host that forgot the URLs hears it from the system checks, not from a 500 later.
        result = manage("check")
        assert result.returncode != 0 and "expense_ai.E005" in result.stderr, (result.stdout, result.stderr)
        _include_urls(tmp_path / "hostsite" / "urls.py")
        for args in (["migrate", "--noinput"], ["check"], ["makemigrations", "--check", "--dry-run"],
                     ["shell", "-c", "import django_expense_ai, sys; print(django_expense_ai.__file__)"]):
            result = manage(*args)
            assert result.returncode == 0, (args, result.stdout, result.stderr)
            assert "expense_ai." not in result.stderr, (args, result.stderr)  # no warning either
        assert str(target) in result.stdout
        # The default storage: a private folder under BASE_DIR (the project), never MEDIA_ROOT or the cwd.
        result = manage("shell", "-c", _IMPORT_ONE_STATEMENT)
        assert result.returncode == 0, (result.stdout, result.stderr)
        status, path = result.stdout.split()[-2:]
        assert status == "completed"
        assert Path(path).parent.parent.parent == tmp_path / "expense_ai_private"
        assert Path(path).suffix == ".csv"


_IMPORT_ONE_STATEMENT = (
    "from django.contrib.auth.models import User\n"
    "from django_expense_ai.statements import import_statement\n"
    "user = User.objects.create_user('host-user')\n"
    "data = b'Date,Description,Amount\\n2024-03-01,Coffee shop,-3.50\\n2024-03-02,Salary,2500.00\\n'\n"
    "uf = import_statement(user, data, filename='march.csv')\n"
    "print(uf.status, uf.file.path)\n"
)


def _include_urls(urls_py: Path) -> None:
    """What the README tells a host to add to its urls.py."""
    text = urls_py.read_text().replace("from django.urls import path", "from django.urls import include, path")
    text = text.replace("urlpatterns = [", 'urlpatterns = [\n    path("expense-ai/", include("django_expense_ai.urls")),')
    urls_py.write_text(text)
