"""The plugin manager: discovery, clear errors, documented hooks, the listing command."""

from __future__ import annotations

import inspect
import json
import re
import sys
import types
from io import StringIO
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from django_expense_ai import hookimpl, hookspecs, plugins
from django_expense_ai.exceptions import PluginError
from django_expense_ai.models.swappable import get_ai_settings_model
from django_expense_ai.providers.base import Provider
from django_expense_ai.providers.registry import provider_choices, provider_names
from django_expense_ai.statements.parsers import get_parsers

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _hookspecs() -> dict[str, types.FunctionType]:
    marker = f"{hookspecs.PROJECT_NAME}_spec"
    return {
        name: obj for name, obj in vars(hookspecs).items() if inspect.isfunction(obj) and hasattr(obj, marker)
    }


@pytest.fixture
def plugin_module(monkeypatch: pytest.MonkeyPatch):
    """Put a module built in the test into ``sys.modules`` under ``name``."""

    def _make(name: str, **attrs) -> types.ModuleType:
        module = types.ModuleType(name)
        for key, value in attrs.items():
            setattr(module, key, value)
        monkeypatch.setitem(sys.modules, name, module)
        return module

    return _make


@pytest.fixture
def site_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A directory on ``sys.path`` where a test can drop modules and ``*.dist-info``."""
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


# -- the hooks are documented -------------------------------------------------


def test_the_project_name_is_the_marker_manager_and_entry_point_group() -> None:
    assert hookspecs.PROJECT_NAME == "django_expense_ai"
    assert hookimpl.project_name == hookspecs.PROJECT_NAME
    assert plugins.get_plugin_manager().project_name == hookspecs.PROJECT_NAME


def test_every_hook_has_a_full_docstring() -> None:
    specs = _hookspecs()
    assert len(specs) >= 8
    problems = []
    for name, func in specs.items():
        doc = inspect.getdoc(func) or ""
        if not re.search(r"\b(Called|Notification)\b", doc):
            problems.append(f"{name}: does not say when it is called")
        for arg in inspect.signature(func).parameters:
            if f":param {arg}:" not in doc:
                problems.append(f"{name}: no ':param {arg}:' line")
        if ":return:" not in doc and ":returns:" not in doc:
            problems.append(f"{name}: no ':return:' line")
    assert not problems, "\n".join(problems)


def test_every_hook_is_in_the_hooks_reference_and_nothing_else_is() -> None:
    text = (DOCS / "hooks.rst").read_text()
    included = set(re.findall(r":pyobject:\s*(\w+)", text))
    assert set(_hookspecs()) - included == set(), "hooks missing from docs/hooks.rst"
    assert included - set(_hookspecs()) == set(), "docs/hooks.rst names hooks that do not exist"


def test_firstresult_only_on_hooks_that_resolve_one_value() -> None:
    firstresult = {
        name
        for name, func in _hookspecs().items()
        if getattr(func, f"{hookspecs.PROJECT_NAME}_spec")["firstresult"]
    }
    assert firstresult == {"parse_chat_message", "classify_transaction", "suggest_budget", "mentionable_users"}


# -- discovery ------------------------------------------------------------------


def test_builtins_are_registered_like_any_plugin() -> None:
    rows = {row["name"]: row for row in plugins.loaded_plugins()}

    for path in plugins.DEFAULT_PLUGINS:
        assert rows[path]["origin"] == "built-in"
        assert rows[path]["distribution"] == "django-expense-ai"
    assert rows["django_expense_ai.providers.builtin"]["hooks"] == ["register_providers"]
    assert rows["django_expense_ai.statements.builtin_parsers"]["hooks"] == ["register_statement_parsers"]
    assert {"openai", "claude", "gemini", "fake"} <= set(provider_names())
    assert {"pdf-table", "csv", "ofx"} <= {p.name for p in get_parsers()}


def test_a_settings_plugin_is_loaded_after_the_builtins(settings, plugin_module) -> None:
    @hookimpl
    def parse_chat_message(text):
        return f"parsed {text}"

    plugin_module("acme_chat_plugin", parse_chat_message=parse_chat_message, __version__="3.1")
    settings.EXPENSE_AI = {"PLUGINS": ["acme_chat_plugin"]}
    plugins.reset()

    rows = plugins.loaded_plugins()
    names = [row["name"] for row in rows]
    assert names.index("acme_chat_plugin") > max(names.index(p) for p in plugins.DEFAULT_PLUGINS)
    row = rows[names.index("acme_chat_plugin")]
    assert row["origin"] == 'EXPENSE_AI["PLUGINS"]'
    assert row["hooks"] == ["parse_chat_message"]
    assert row["version"] == "3.1"
    # Implementations may take fewer arguments than the spec.
    assert (
        plugins.hook().parse_chat_message(text="x", user=None, default_currency="USD", today=None)
        == "parsed x"
    )


def test_first_result_wins_and_none_passes(register_plugin) -> None:
    class Declines:
        @hookimpl
        def parse_chat_message(self, text):
            return None

    class Answers:
        @hookimpl
        def parse_chat_message(self, text):
            return "answer"

    register_plugin(Answers())
    register_plugin(Declines())  # called first (pluggy calls later registrations first)

    assert (
        plugins.hook().parse_chat_message(text="x", user=None, default_currency="USD", today=None) == "answer"
    )


def test_reset_rebuilds_from_current_settings(settings, plugin_module) -> None:
    @hookimpl
    def register_statement_parsers(register):
        return None

    plugin_module("late_plugin", register_statement_parsers=register_statement_parsers)
    before = plugins.get_plugin_manager()
    settings.EXPENSE_AI = {"PLUGINS": ["late_plugin"]}
    assert plugins.get_plugin_manager() is before  # cached until reset

    plugins.reset()

    assert plugins.get_plugin_manager() is not before
    assert plugins.get_plugin_manager().get_plugin("late_plugin") is not None


def test_a_settings_path_that_is_already_registered_is_registered_once(settings) -> None:
    settings.EXPENSE_AI = {"PLUGINS": ["django_expense_ai.providers.builtin"]}
    plugins.reset()

    assert [r["name"] for r in plugins.loaded_plugins()].count("django_expense_ai.providers.builtin") == 1
    assert provider_names().count("openai") == 1


# -- clear errors ------------------------------------------------------------------


def test_a_bad_dotted_path_names_the_plugin(settings) -> None:
    settings.EXPENSE_AI = {"PLUGINS": ["acme.no_such_plugin"]}
    plugins.reset()

    with pytest.raises(PluginError) as info:
        plugins.get_plugin_manager()

    message = str(info.value)
    assert "'acme.no_such_plugin'" in message and 'EXPENSE_AI["PLUGINS"]' in message
    assert "ModuleNotFoundError" in message
    # The registries built on the manager report the same error.
    with pytest.raises(PluginError, match="acme.no_such_plugin"):
        provider_names()


def test_a_plugin_that_raises_on_import_names_the_plugin(settings, site_dir: Path) -> None:
    (site_dir / "explodes_on_import.py").write_text("raise RuntimeError('missing BANK_API setting')\n")
    settings.EXPENSE_AI = {"PLUGINS": ["explodes_on_import"]}
    plugins.reset()

    with pytest.raises(PluginError, match=r"'explodes_on_import'.*RuntimeError: missing BANK_API setting"):
        plugins.get_plugin_manager()
    sys.modules.pop("explodes_on_import", None)


def test_plugins_setting_must_be_a_list(settings) -> None:
    settings.EXPENSE_AI = {"PLUGINS": "acme_plugin"}
    plugins.reset()

    with pytest.raises(PluginError, match="list of dotted paths"):
        plugins.get_plugin_manager()


def _write_dist(site: Path, name: str, version: str, entry_points: str) -> None:
    info = site / f"{name}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    (info / "entry_points.txt").write_text(entry_points)


def test_a_broken_entry_point_names_the_plugin_and_distribution(site_dir: Path) -> None:
    _write_dist(site_dir, "acme_broken", "0.3", "[django_expense_ai]\nbroken = acme_broken_missing_module\n")
    plugins.reset()

    with pytest.raises(PluginError) as info:
        plugins.get_plugin_manager()

    message = str(info.value)
    assert "'broken'" in message
    assert "acme_broken_missing_module" in message
    assert "acme_broken" in message  # the distribution to reinstall or remove


def test_an_entry_point_plugin_is_loaded_with_its_distribution_version(site_dir: Path) -> None:
    (site_dir / "acme_notify.py").write_text(
        "from django_expense_ai import hookimpl\n\n"
        "@hookimpl\n"
        "def statement_processed(uploaded_file):\n"
        "    pass\n"
    )
    _write_dist(site_dir, "acme_notify", "2.4.1", "[django_expense_ai]\nnotify = acme_notify\n")
    plugins.reset()
    try:
        row = {r["name"]: r for r in plugins.loaded_plugins()}["notify"]
    finally:
        sys.modules.pop("acme_notify", None)

    assert row == {
        "name": "notify",
        "origin": "entry point",
        "hooks": ["statement_processed"],
        "distribution": "acme_notify",
        "version": "2.4.1",
    }


def test_a_misspelled_hookimpl_is_caught(settings, plugin_module) -> None:
    @hookimpl
    def register_statment_parsers(register):  # sic
        return None

    plugin_module("typo_plugin", register_statment_parsers=register_statment_parsers)
    settings.EXPENSE_AI = {"PLUGINS": ["typo_plugin"]}
    plugins.reset()

    with pytest.raises(PluginError) as info:
        plugins.get_plugin_manager()

    message = str(info.value)
    assert "'typo_plugin'" in message
    assert "'register_statment_parsers'" in message
    assert "Did you mean 'register_statement_parsers'?" in message


def test_an_optional_hook_of_another_project_is_allowed(settings, plugin_module) -> None:
    @hookimpl(optionalhook=True)
    def other_project_hook():
        return None

    plugin_module("polite_plugin", other_project_hook=other_project_hook)
    settings.EXPENSE_AI = {"PLUGINS": ["polite_plugin"]}
    plugins.reset()

    assert plugins.get_plugin_manager().get_plugin("polite_plugin") is not None


def test_a_hookimpl_asking_for_an_unknown_argument_is_caught(settings, plugin_module) -> None:
    @hookimpl
    def statement_processed(uploaded_file, transactions):  # the spec says `created`
        return None

    plugin_module("wrong_args_plugin", statement_processed=statement_processed)
    settings.EXPENSE_AI = {"PLUGINS": ["wrong_args_plugin"]}
    plugins.reset()

    with pytest.raises(PluginError, match=r"(?s)'wrong_args_plugin'.*transactions"):
        plugins.get_plugin_manager()


# -- plugin providers in AISettings -----------------------------------------------


class _LocalProvider(Provider):
    name = "local-llm"
    label = "Local LLM"


class _LocalPlugin:
    @hookimpl
    def register_providers(self, register):
        register(_LocalProvider)


@pytest.mark.django_db
def test_a_plugin_provider_is_a_valid_choice_of_active_parser_provider(user, register_plugin) -> None:
    model = get_ai_settings_model()
    field = model._meta.get_field("active_parser_provider")
    row = model(user=user, active_parser_provider="local-llm")
    with pytest.raises(ValidationError):
        row.full_clean()  # not registered yet

    register_plugin(_LocalPlugin())

    assert ("local-llm", "Local LLM") in provider_choices()
    assert ("local-llm", "Local LLM") in field.choices
    assert [c[0] for c in provider_choices()[:1]] == ["system"]
    row.full_clean()
    row.save()
    assert model.objects.get(user=user).active_parser_provider == "local-llm"


@pytest.mark.django_db
def test_an_unregistered_provider_is_refused_on_save(user) -> None:
    row = get_ai_settings_model()(user=user, active_parser_provider="local-llm")

    with pytest.raises(ValidationError, match="local-llm"):
        row.save()
    assert not get_ai_settings_model().objects.filter(user=user).exists()


# -- manage.py expense_ai_plugins ------------------------------------------------------


def test_plugins_command_lists_plugins_hooks_and_versions(register_plugin) -> None:
    from django_expense_ai import __version__

    register_plugin(_LocalPlugin(), name="local-plugin")
    out = StringIO()

    call_command("expense_ai_plugins", stdout=out)

    text = out.getvalue()
    assert f"django_expense_ai.providers.builtin  [built-in]  django-expense-ai {__version__}" in text
    assert "hooks: register_providers" in text
    assert "local-plugin  [registered at runtime]" in text
    assert "AI providers: system, claude, fake, gemini, local-llm, openai" in text
    assert "statement parsers:" in text and "csv" in text


def test_plugins_command_json() -> None:
    out = StringIO()

    call_command("expense_ai_plugins", "--json", stdout=out)

    data = json.loads(out.getvalue())
    assert {row["name"] for row in data["plugins"]} >= set(plugins.DEFAULT_PLUGINS)
    assert "openai" in data["providers"] and "ofx" in data["parsers"]
    assert "nl-debit-credit" in data["bank_profiles"]


def test_plugins_command_reports_a_broken_plugin(settings) -> None:
    settings.EXPENSE_AI = {"PLUGINS": ["acme.no_such_plugin"]}
    plugins.reset()

    with pytest.raises(CommandError, match="acme.no_such_plugin"):
        call_command("expense_ai_plugins", stdout=StringIO())


def test_read_statement_needs_no_app_registry(tmp_path):
    # The plugin manager loads every built-in plugin for read_statement; none
    # may import a model at load time, or reading a file would need the app
    # installed and a database configured.
    import subprocess
    import sys
    from pathlib import Path

    src = Path(__file__).resolve().parents[1] / "src"
    script = (
        "import sys; sys.path.insert(0, %r)\n"
        "import django; from django.conf import settings; settings.configure(); django.setup()\n"
        "from django_expense_ai.statements import read_statement\n"
        "p = read_statement(b'Date,Description,Amount\\n2026-01-02,Coffee,-3.50\\n', 'a.csv')\n"
        "print(len(p.rows), p.rows[0].amount)\n"
    ) % str(src)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["1", "-3.50"]


# -- the tables filled by register_* hooks (one helper: plugins.HookRegistry) ----------


def test_each_hook_table_is_built_once_until_reset(monkeypatch) -> None:
    from django_expense_ai.statements.bank_profiles import get_bank_profiles

    builds = []
    build = plugins.HookRegistry._build
    monkeypatch.setattr(plugins.HookRegistry, "_build", lambda self: builds.append(self.hook_name) or build(self))
    first = get_parsers()
    assert get_parsers() is first and get_bank_profiles() is get_bank_profiles() and provider_names()
    assert sorted(builds) == ["register_bank_profiles", "register_providers", "register_statement_parsers"]
    plugins.reset()
    assert get_parsers() is not first and builds.count("register_statement_parsers") == 2


def test_a_name_registered_twice_names_the_table_and_the_fix(register_plugin) -> None:
    from django_expense_ai.statements.bank_profiles import get_bank_profiles
    from django_expense_ai.statements.formats.profiles import BUILTIN_PROFILES

    class Copies:
        @hookimpl
        def register_statement_parsers(self, register):
            register(types.SimpleNamespace(name="csv", claim=lambda document: 0.0, parse=lambda document: None))

        @hookimpl
        def register_bank_profiles(self, register):
            register(BUILTIN_PROFILES[0])

    register_plugin(Copies())
    with pytest.raises(PluginError, match=r"Two statement parsers are registered as 'csv' \(SimpleNamespace and "):
        get_parsers()
    with pytest.raises(PluginError, match=f"Two bank profiles are registered as '{BUILTIN_PROFILES[0].name}'; .*another name"):
        get_bank_profiles()


def test_an_unknown_name_is_a_library_key_error() -> None:
    from django_expense_ai.exceptions import UnknownKey
    from django_expense_ai.statements.bank_profiles import get_bank_profile
    from django_expense_ai.statements.parsers import get_parser

    with pytest.raises(UnknownKey, match=r"'nope' \(known: .*csv"):
        get_parser("nope")
    with pytest.raises(KeyError, match="nl-debit-credit"):  # the known names are listed
        get_bank_profile("nope")
