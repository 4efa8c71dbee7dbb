"""One error root: every error the package raises on purpose is an ``ExpenseAIError``.

The source tests read every module: exception classes live in ``exceptions.py``
only, and no function raises a bare builtin error (``ValueError``,
``TypeError``, ``KeyError`` ...). Each library error that replaces one also
inherits it (anymail's rule), so host code that catches ``ValueError`` keeps
working; the behaviour tests below check both types at each place that used to
raise the builtin.
"""

from __future__ import annotations

import ast
import builtins
import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest

import django_expense_ai
from django_expense_ai import exceptions
from django_expense_ai.exceptions import (
    ExpenseAIError,
    FloatMoney,
    InvalidAnswer,
    InvalidArgument,
    ProviderNotInstalled,
    UnarchivableValue,
    UnexpectedField,
    UnknownKey,
    WrongArgumentType,
)

PACKAGE = Path(django_expense_ai.__file__).parent

#: Builtin errors a function of the package must not raise itself.
BARE = {"ValueError", "TypeError", "KeyError", "IndexError", "LookupError", "RuntimeError", "Exception"}

#: Private helpers allowed to raise a bare builtin because a caller inside the package
#: catches it ("module:function" -> why). Empty now; add a line with the reason if needed.
CAUGHT_INSIDE: dict[str, str] = {}


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "migrations" not in p.relative_to(PACKAGE).parts)


def _label(path: Path) -> str:
    return str(path.relative_to(PACKAGE.parent))


def _names(node: ast.expr | None) -> set[str]:
    """The names an ``except`` clause catches (``except (A, b.B)`` -> {"A", "B"})."""
    if node is None:
        return {"BaseException"}
    items = node.elts if isinstance(node, ast.Tuple) else [node]
    return {item.attr if isinstance(item, ast.Attribute) else getattr(item, "id", "?") for item in items}


def _bare_raises(tree: ast.AST) -> list[tuple[int, str, str]]:
    """``(line, function path, what)`` for each raise of a builtin error.

    A re-raise (``raise`` or ``raise err``) counts when its ``except`` clause catches
    only builtins, not when it catches a library error or everything (cleanup
    before passing an error on: ``except Exception: ...; raise``).
    """
    found: list[tuple[int, str, str]] = []

    def visit(node: ast.AST, where: list[str], handlers: list[ast.ExceptHandler]) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                visit(child, [*where, child.name], [])
                continue
            if isinstance(child, ast.ExceptHandler):
                visit(child, where, [*handlers, child])
                continue
            if isinstance(child, ast.Raise):
                exc = child.exc
                target = exc.func if isinstance(exc, ast.Call) else exc
                name = target.id if isinstance(target, ast.Name) else None
                handler = next((h for h in reversed(handlers) if exc is None or (name and h.name == name)), None)
                if name in BARE:
                    found.append((child.lineno, ".".join(where), f"raise {name}"))
                elif handler is not None:
                    caught = _names(handler.type)
                    if caught <= BARE - {"Exception"}:
                        found.append((child.lineno, ".".join(where), f"re-raise of {', '.join(sorted(caught))}"))
            visit(child, where, handlers)

    visit(tree, [], [])
    return found


def _private(function_path: str) -> bool:
    return any(part.startswith("_") and not part.startswith("__") for part in function_path.split("."))


def test_no_function_of_the_package_raises_a_bare_builtin_error():
    found = []
    for path in _modules():
        module = _label(path)
        for line, where, what in _bare_raises(ast.parse(path.read_text(), module)):
            if _private(where) and f"{module}:{where}" in CAUGHT_INSIDE:
                continue
            found.append(f"{module}:{line} {where or '<module>'}: {what}")
    assert not found, (
        "Raise a library error from django_expense_ai.exceptions that also inherits the builtin "
        "(InvalidArgument is a ValueError, WrongArgumentType a TypeError, UnknownKey a KeyError):\n"
        + "\n".join(found)
    )


def test_every_exception_class_is_defined_in_exceptions_py():
    builtin_errors = {name for name in dir(builtins) if isinstance(getattr(builtins, name), type)
                      and issubclass(getattr(builtins, name), BaseException)}
    found = []
    for path in _modules():
        if path.name == "exceptions.py" and path.parent == PACKAGE:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.ClassDef):
                continue
            bases = {b.attr if isinstance(b, ast.Attribute) else getattr(b, "id", "") for b in node.bases}
            if any(b in builtin_errors or b.endswith(("Error", "Exception")) for b in bases):
                found.append(f"{_label(path)}:{node.lineno} class {node.name}")
    assert not found, "Define exceptions in django_expense_ai/exceptions.py:\n" + "\n".join(found)


def test_the_check_sees_what_it_must():
    source = """
def public(x):
    raise ValueError("bare")

def _helper():
    try:
        pass
    except KeyError:
        raise
    except IndexError as err:
        raise err

def fine():
    try:
        pass
    except ValueError as err:
        raise InvalidArgument("x") from err
    except InvalidArgument:
        raise
    except Exception:
        raise
"""
    found = _bare_raises(ast.parse(source))
    assert [(where, what) for _line, where, what in found] == [
        ("public", "raise ValueError"), ("_helper", "re-raise of KeyError"), ("_helper", "re-raise of IndexError")]


def test_every_library_error_shares_the_root():
    classes = [c for c in vars(exceptions).values() if isinstance(c, type) and issubclass(c, BaseException)]
    foreign = {c.__name__ for c in classes if c.__module__ == exceptions.__name__ and not issubclass(c, ExpenseAIError)}
    assert not foreign


# -- each library error is also the builtin it replaced ----------------------------------


@pytest.mark.parametrize(
    ("library_error", "builtin"),
    [
        (InvalidArgument, ValueError),
        (WrongArgumentType, TypeError),
        (UnexpectedField, TypeError),
        (UnknownKey, KeyError),
        (FloatMoney, TypeError),
        (FloatMoney, ValueError),  # a MoneyError, as before
        (InvalidAnswer, ValueError),
        (UnarchivableValue, TypeError),
        (ProviderNotInstalled, ImportError),
    ],
)
def test_library_errors_are_also_the_builtin_they_replace(library_error, builtin):
    assert issubclass(library_error, ExpenseAIError)
    assert issubclass(library_error, builtin)


def test_provider_not_installed_is_caught_as_an_import_error():
    try:
        raise ProviderNotInstalled('Install it with: pip install "django-expense-ai[openai]"', provider="openai")
    except ImportError as err:  # host code written for anymail-style "improperly installed" errors
        assert err.provider == "openai" and "pip install" in str(err)


def test_unknown_key_reads_as_its_message():
    err = UnknownKey("No statement parser is registered as 'x'.", key="x")
    assert str(err) == "No statement parser is registered as 'x'." and err.key == "x"


def _raises(call, library_error: type[ExpenseAIError], builtin: type[BaseException]) -> str:
    with pytest.raises(library_error) as info:
        call()
    assert isinstance(info.value, builtin)
    return str(info.value)


def test_calls_that_raised_a_builtin_raise_a_library_error():
    from django_expense_ai.api.feed import Feed
    from django_expense_ai.categorize import accuracy_report
    from django_expense_ai.categorize.normalize import amount_band
    from django_expense_ai.crypto import encrypt
    from django_expense_ai.maintenance.rotation import rotate_secrets
    from django_expense_ai.models.rows import encode
    from django_expense_ai.models.storage import stored_suffix
    from django_expense_ai.money import to_decimal
    from django_expense_ai.providers import parse_json, validate_chat
    from django_expense_ai.statements.formats.pdf import _folded

    assert "batch_size" in _raises(lambda: rotate_secrets(batch_size=-1), InvalidArgument, ValueError)
    assert "'doc'" in _raises(lambda: stored_suffix("doc"), InvalidArgument, ValueError)
    assert "float" in _raises(lambda: amount_band(4.5), FloatMoney, TypeError)
    assert "float" in _raises(lambda: to_decimal(4.5), FloatMoney, TypeError)
    assert "last" in _raises(lambda: accuracy_report(None, last=0), InvalidArgument, ValueError)
    message = _raises(lambda: encrypt(b"s3cret"), WrongArgumentType, TypeError)
    assert "bytes" in message and "s3cret" not in message
    assert "[0]" in _raises(lambda: Feed([])[0], WrongArgumentType, TypeError)
    assert "object" in _raises(lambda: encode(object()), UnarchivableValue, TypeError)
    assert "lower case" in _raises(lambda: _folded(re.compile("Total", re.I)), InvalidArgument, ValueError)
    _raises(lambda: parse_json("not json"), InvalidAnswer, ValueError)
    assert "is_income" in _raises(
        lambda: validate_chat({"is_income": "yes"}, default_currency="USD", today=dt.date(2026, 1, 1)),
        InvalidAnswer, ValueError)


def test_calls_to_the_service_layer_raise_library_errors(db, user, other_user):
    from django_expense_ai.ai import call_provider
    from django_expense_ai.budgets.services import BudgetReport
    from django_expense_ai.models import StatementPassword, Transaction, UploadedFile, bulk
    from django_expense_ai.statements import import_statement
    from django_expense_ai.statements.bank_profiles import get_bank_profile
    from django_expense_ai.statements.parsers import get_parser
    from django_expense_ai.statements.passwords import record_password_success

    assert "'test_key'" in _raises(lambda: call_provider(user, "test_key"), InvalidArgument, ValueError)
    assert "int" in _raises(lambda: import_statement(user, 42), WrongArgumentType, TypeError)
    assert "'nope'" in _raises(lambda: get_parser("nope"), UnknownKey, KeyError)
    assert "'nope'" in _raises(lambda: get_bank_profile("nope"), UnknownKey, KeyError)
    report = BudgetReport(budget_id=1, currency="USD", start=dt.date(2026, 1, 1), end=dt.date(2026, 1, 31),
                          lines=(), allocated=Decimal(0), spent=Decimal(0), remaining=Decimal(0), percent_used=None)
    assert "'food'" in _raises(lambda: report.line("food"), UnknownKey, KeyError)

    password = StatementPassword(user=user, file_pattern="")
    password.set_password("pw")
    password.save()
    upload = UploadedFile.objects.create(user=other_user, filename="x.pdf")
    assert "own user" in _raises(lambda: record_password_success(password, upload), InvalidArgument, ValueError)

    _raises(lambda: bulk.instance_builder(Transaction, user=7), UnexpectedField, TypeError)
    _raises(lambda: bulk.instance_builder(Transaction)(no_such_field=1), UnexpectedField, TypeError)
    _raises(lambda: bulk.insert_all([Transaction(), upload]), InvalidArgument, ValueError)
