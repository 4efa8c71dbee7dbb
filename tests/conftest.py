"""Shared fixtures: users, a plugin registered for one test, the statement corpus."""

from __future__ import annotations

from pathlib import Path

import pytest

#: The shared statement corpus lives beside the clone, never inside it.
CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"


@pytest.fixture
def corpus() -> Path:
    """Path of ``../shared/corpus``; skips (saying why) when it is absent."""
    if not CORPUS.is_dir():
        pytest.skip(f"statement corpus not found at {CORPUS} (CI keeps it beside the clone)")
    return CORPUS


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user(username="alice", password="pw", first_name="Alice",
                                                 email="alice@example.com")


@pytest.fixture
def other_user(django_user_model):
    return django_user_model.objects.create_user(username="bob", password="pw", first_name="Bob",
                                                 email="bob@example.com")


@pytest.fixture
def register_plugin():
    """Register plugin objects for one test; they are removed afterwards."""
    from django_expense_ai import plugins

    added = []

    def _register(plugin, name=None):
        pm = plugins.get_plugin_manager()
        pm.register(plugin, name=name)
        added.append(plugin)
        for callback in plugins._RESET_CALLBACKS:
            callback()
        return plugin

    yield _register
    pm = plugins.get_plugin_manager()
    for plugin in added:
        if pm.is_registered(plugin):
            pm.unregister(plugin)
    for callback in plugins._RESET_CALLBACKS:
        callback()


@pytest.fixture(autouse=True)
def _fresh_plugins(settings):
    """Each test starts with a plugin manager built from its own settings."""
    from django_expense_ai import plugins

    plugins.reset()
    yield
    plugins.reset()


@pytest.fixture(autouse=True)
def _empty_cache():
    """Cached reports must not leak from one test into the next."""
    from django.core.cache import caches

    for alias in caches:
        caches[alias].clear()
    yield
