"""The statement-parser registry, filled by the ``register_statement_parsers`` hook.

A parser says how sure it is that it can read a document (:meth:`claim`),
and reads it (:meth:`parse`). The built-in PDF-table, CSV and OFX parsers are
registered by :mod:`django_expense_ai.statements.builtin_parsers`, an ordinary
plugin; a bank-specific plugin registers a parser that claims its own layout
with more confidence than the generic one.

Pure: no database.
"""

from __future__ import annotations

from typing import Any

from .. import plugins
from ..exceptions import PluginError, UnknownKey
from .types import ParsedStatement, StatementDocument

__all__ = ["StatementParser", "get_parser", "get_parsers", "reset_parsers"]


class StatementParser:
    """Base class for statement parsers.

    Subclasses set ``name`` (unique, shown in logs and ``ParsedStatement.parser``)
    and ``format`` (``"pdf"``, ``"csv"``, ``"ofx"``; ``""`` for any) and
    implement :meth:`parse`. The default :meth:`claim` accepts documents of
    ``format`` with a modest score, so a specialised parser can outbid it.
    """

    name: str = ""
    format: str = ""
    #: Score :meth:`claim` gives a document of the right format.
    default_claim: float = 0.5

    def claim(self, document: StatementDocument) -> float:
        """How sure this parser is that it can read ``document``.

        :returns: 0 when it cannot, up to 1 when it is certain.
        :raises: nothing; a parser that errors while claiming is treated as 0.
        """
        if self.format and document.format != self.format:
            return 0.0
        return self.default_claim

    def parse(self, document: StatementDocument) -> ParsedStatement:
        """Read ``document``.

        :returns: a :class:`ParsedStatement` whose ``parser`` is ``self.name``.
        :raises StatementError: the document cannot be read.
        """
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r} format={self.format or 'any'!r}>"


def _accept(parser: Any) -> Any:
    if isinstance(parser, type):
        parser = parser()  # registering the class is a common slip; accept it
    if (
        not getattr(parser, "name", "")
        or not callable(getattr(parser, "claim", None))
        or not callable(getattr(parser, "parse", None))
    ):
        raise PluginError(
            f"{parser!r} is not a statement parser: it needs a non-empty 'name', "
            "'claim(document)' and 'parse(document)'."
        )
    return parser


_registry: plugins.HookRegistry[Any] = plugins.HookRegistry(
    "register_statement_parsers", "statement parsers", _accept
)


def get_parsers() -> tuple[Any, ...]:
    """Every registered parser, in registration order.

    Built on first use and cached until :func:`django_expense_ai.plugins.reset`.
    pluggy calls later-registered plugins first, so parsers from
    ``EXPENSE_AI["PLUGINS"]`` and entry points come before the built-ins and win ties.

    :returns: a tuple of parser objects.
    :raises PluginError: a plugin registered something that is not a parser, or a duplicate name.
    """
    return _registry.all()


def get_parser(name: str) -> Any:
    """The registered parser called ``name``.

    :returns: the parser.
    :raises UnknownKey: no parser has that name (a ``KeyError``).
    """
    parser = _registry.get(name)
    if parser is not None:
        return parser
    known = ", ".join(str(registered.name) for registered in get_parsers()) or "none"
    raise UnknownKey(
        f"No statement parser is registered as {name!r} (known: {known}). Check the name, "
        "or install and list the plugin that provides it.",
        key=name,
    )


def reset_parsers() -> None:
    """Forget the cached registry (:func:`django_expense_ai.plugins.reset` does it too)."""
    _registry.clear()
