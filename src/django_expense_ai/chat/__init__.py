"""Chat quick entry: ``"@john $50 lunch at pizza place"`` becomes a transaction.

Public API (see ``docs/chat.rst``)::

    from django_expense_ai.chat import parse_message, submit_message

    parse_message("@john $50 lunch", user=alice)          # a ChatParse, nothing saved
    result = submit_message(alice, "@john $50 lunch")     # ChatResult(message, reply, transaction)
    confirm_suggestion(result.message, amount="45.00")    # for a low-confidence parse
    reject_suggestion(result.message)
    mention_suggestions(alice, "@jo")                     # autocomplete

The pure grammar (:mod:`.grammar`) and replies (:mod:`.replies`) import no
models. The service functions are imported on first use (PEP 562), so
``import django_expense_ai.chat`` works before Django's app registry is ready.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..exports import lazy_exports

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from .mentions import mention_suggestions
    from .services import (
        ChatResult,
        confirm_suggestion,
        parse_message,
        reject_suggestion,
        submit_message,
    )

__all__ = [
    "ChatResult",
    "confirm_suggestion",
    "mention_suggestions",
    "parse_message",
    "reject_suggestion",
    "submit_message",
]

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "ChatResult": ".services",
        "confirm_suggestion": ".services",
        "parse_message": ".services",
        "reject_suggestion": ".services",
        "submit_message": ".services",
        "mention_suggestions": ".mentions",
    },
)
