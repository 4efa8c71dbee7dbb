"""Every hook a plugin may implement, with when it is called and what it returns.

The pluggy project name is ``django_expense_ai``; it is also the entry-point
group. Implementations may take fewer arguments than the spec (pluggy passes
only the ones they name). A plugin module looks like::

    from django_expense_ai import hookimpl

    @hookimpl
    def register_statement_parsers(register):
        register(MyBankParser())
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

import pluggy

from .types import UserLike

PROJECT_NAME = "django_expense_ai"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)


@hookspec
def register_statement_parsers(register: Callable[[Any], None]) -> None:
    """Add statement parsers to the registry.

    Called once, the first time the registry is used.

    :param register: call ``register(parser)`` once per parser. A parser is an
        object with a ``name`` string, ``claim(document) -> float`` (0 when it
        cannot read the document, up to 1 when it is sure) and
        ``parse(document) -> ParsedStatement``; see
        :class:`django_expense_ai.statements.parsers.StatementParser`.
    :return: nothing.
    """


@hookspec
def register_bank_profiles(register: Callable[[Any], None]) -> None:
    """Add bank profiles: how to read one bank's CSV export, as data.

    Called once, the first time the profile registry is used. When a CSV file's
    header holds every column a profile names, the CSV parser reads the file
    with that profile instead of guessing (the profile naming the most columns
    wins; an account's saved profile comes before all of them).

    :param register: call ``register(profile)`` once per profile, a
        :class:`django_expense_ai.statements.formats.profiles.BankProfile`
        (or a dict that :meth:`BankProfile.from_dict` accepts) with a unique ``name``.
    :return: nothing.
    """


@hookspec
def register_providers(register: Callable[[type[Any]], None]) -> None:
    """Add AI providers to the registry.

    Called once, the first time the provider registry is used.

    :param register: call ``register(provider_class)`` once per provider; the
        class subclasses :class:`django_expense_ai.providers.base.Provider` and
        has a unique ``name``, which becomes a choice of
        ``AISettings.active_parser_provider``.
    :return: nothing.
    """


@hookspec(firstresult=True)
def parse_chat_message(text: str, user: UserLike | None, default_currency: str, today: dt.date) -> Any:
    """Parse a chat message before the built-in grammar does.

    Called by :func:`django_expense_ai.chat.parse_message` for every message;
    the first implementation returning something other than ``None`` wins.

    :param text: the message as the user typed it.
    :param user: the author, or ``None`` when parsing without a user.
    :param default_currency: ISO code used for a bare amount.
    :param today: the user's current date.
    :return: a :class:`django_expense_ai.chat.grammar.ChatParse`, or ``None``
        to let the next parser (finally the built-in grammar) try.
    """


@hookspec(firstresult=True)
def classify_transaction(transaction: Any) -> str | None:
    """Choose an ``expense_classification`` for a transaction being created.

    Called before a new transaction is saved (the statement pipeline, chat, the
    editing services behind the pages and the REST API, the admin), unless the
    caller gave a classification; never for a row put back by a merge's undo.

    :param transaction: the unsaved :class:`Transaction`.
    :return: one of ``ExpenseClassification`` values, or ``None`` to keep the
        default.
    """


@hookspec
def categorize_transactions(user_id: int, transactions: list[Any]) -> list[Any] | None:
    """Suggest categories for new transactions, before any AI provider is asked.

    Called by the statement pipeline (once per import, with every new row)
    and the chat service (with the one transaction), for the transactions
    that have no category yet (a category the user chose is never asked
    about). Every implementation is called, host plugins first and the
    built-in history plugin (:mod:`django_expense_ai.categorize.plugin`,
    ``trylast``) last; for each transaction the first answer wins. An answer
    at or above ``EXPENSE_AI["AUTO_CATEGORY_CONFIDENCE"]`` becomes the
    transaction's category; one below is kept as a suggestion (the import's
    ``transaction_creation`` log, the chat message's metadata).

    :param user_id: the owner's primary key.
    :param transactions: the unsaved :class:`Transaction` objects
        (``description``, ``amount``, ``merchant``, ``currency`` are set).
    :return: a list with one
        :class:`~django_expense_ai.categorize.CategorySuggestion` or ``None``
        per transaction, in order; or ``None`` to answer for none of them.
    """


@hookspec(firstresult=True)
def suggest_budget(
    user: UserLike, monthly_income: Decimal, currency: str, context: dict[str, Any]
) -> Mapping[str, Decimal] | None:
    """Suggest category allocations before the AI provider or the heuristic.

    Called by the budget service each time a user asks for a suggested
    budget; the first implementation returning something other than ``None``
    wins, and neither the AI provider nor the heuristic is asked.

    :param user: the user the budget is for.
    :param monthly_income: a ``Decimal``.
    :param currency: ISO code.
    :param context: free-form dict the caller passed to ``suggest_budget``.
    :return: ``{category_key: percentage (Decimal)}`` summing to 100, or
        ``None`` to let the provider / heuristic decide.
    """


@hookspec
def statement_stage_completed(uploaded_file: Any, stage: str, status: str, details: dict[str, Any]) -> None:
    """Notification after each statement-processing stage is logged.

    Called by the statement pipeline once per stage, after the stage's
    ``StatementProcessingLog`` row is written; every implementation is called.

    :param uploaded_file: the :class:`UploadedFile`.
    :param stage: the stage name (``text_extraction`` ...).
    :param status: ``success``, ``failed`` or ``skipped``.
    :param details: the log row's details (never a secret).
    :return: ignored.
    """


@hookspec
def statement_processed(uploaded_file: Any, created: list[Any], duplicates: int) -> None:
    """Notification after a statement finished processing (success or failure).

    Called once per processing run, after the ``UploadedFile``'s final status
    is saved; every implementation is called.

    :param uploaded_file: the :class:`UploadedFile`; ``status`` tells the outcome.
    :param created: list of transactions created.
    :param duplicates: number of rows skipped as duplicates.
    :return: ignored.
    """


@hookspec
def chat_transaction_created(message: Any, transaction: Any) -> None:
    """Notification after a chat message created a transaction.

    Called by the chat service after the transaction (and its splits) are
    saved; every implementation is called.

    :param message: the user's :class:`ChatMessage`.
    :param transaction: the new :class:`Transaction`.
    :return: ignored.
    """


@hookspec(firstresult=True)
def mentionable_users(user: UserLike, contacts: Any) -> Any:
    """Who ``user`` may mention with ``@name`` and split a transaction with.

    Called whenever a mention is resolved, an autocomplete list is built or a
    split is checked (:func:`django_expense_ai.models.ownership.mentionable_users`);
    the first implementation returning something other than ``None`` wins. The
    built-in one returns ``contacts``; a host's plugin runs before it.

    :param user: the author (signed in).
    :param contacts: a queryset of the user model: the people who share a
        group or a transaction with ``user`` (the default rule).
    :return: a queryset of the user model, wider (say, everyone in the same
        organisation) or narrower than ``contacts``, or ``None`` to let the
        next implementation decide. ``user`` is removed from it afterwards.
    """
