"""A provider for host projects' tests: no network, queued answers, recorded calls.

::

    from django_expense_ai.providers.fake import FakeProvider

    FakeProvider.reset()
    FakeProvider.queue([StatementRow(...)], ProviderAuthError("bad key"))
    ...  # code under test calls get_provider("fake").parse_statement(...)
    assert FakeProvider.calls[0].method == "parse_statement"

State lives on the class, so every instance (the registry's, or one you
make) shares it; call :meth:`FakeProvider.reset` between tests.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import deque
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ClassVar

from ..statements.types import StatementRow
from .base import ChatEntry, Messages, Provider, ProviderResult, Usage, Validator

_EMPTY = object()


@dataclass
class FakeCall:
    """One call made to the fake: the public method, its arguments, the prompt sent."""

    method: str
    kwargs: dict[str, Any]
    messages: Messages = field(default_factory=list)


def equal_split(categories: list[str]) -> dict[str, Decimal]:
    """Split 100 percent over ``categories`` in hundredths, the leftover to the first ones.

    :returns: ``{category: percent}`` adding up to exactly 100 (empty for no categories).
    """
    if not categories:
        return {}
    hundredths, leftover = divmod(10000, len(categories))
    return {
        key: Decimal(hundredths + (1 if i < leftover else 0)).scaleb(-2) for i, key in enumerate(categories)
    }


class FakeProvider(Provider):
    """Returns queued answers in order, then harmless defaults; never sends anything.

    An answer is one of:

    * an exception instance (or class): raised by the call;
    * a :class:`ProviderResult`: returned as is;
    * a ``str``: treated as the model's raw text, so it goes through JSON
      parsing and validation like a real answer (use it to test malformed output);
    * anything else: the call's ``value`` (rows, a :class:`ChatEntry`,
      allocations), returned with confidence 1 (a ChatEntry's own confidence).

    With the queue empty: no rows, a chat entry without amount (confidence 0),
    an equal budget split, and ``test_key`` succeeds.
    """

    name = "fake"
    label = "Fake (tests only, no network)"
    extra = ""
    sends_data = False  # nothing leaves the process, so AI_ENABLED does not apply
    test_only = True  # never offered to users unless OFFER_TEST_PROVIDERS is on

    calls: ClassVar[list[FakeCall]] = []
    _answers: ClassVar[deque[Any]] = deque()
    _lock: ClassVar[threading.Lock] = threading.Lock()
    _current: FakeCall | None = None  # the call being answered, set by the public methods

    # -- test API --------------------------------------------------------------

    @classmethod
    def queue(cls, *answers: Any) -> None:
        """Append answers, used one per call in order (``test_key`` calls included)."""
        with cls._lock:
            cls._answers.extend(answers)

    @classmethod
    def reset(cls) -> None:
        """Forget recorded calls and queued answers."""
        with cls._lock:
            cls.calls.clear()
            cls._answers.clear()

    @classmethod
    def _next(cls) -> Any:
        with cls._lock:
            return cls._answers.popleft() if cls._answers else _EMPTY

    def _record(self, method: str, **kwargs: Any) -> FakeCall:
        call = FakeCall(method=method, kwargs=kwargs)
        with self._lock:
            self.calls.append(call)
        return call

    @property
    def default_model(self) -> str:
        """``DEFAULT_MODELS["fake"]`` when set, else ``"fake-model"``."""
        return super().default_model or "fake-model"

    # -- public calls: record, then run the normal steps -------------------------

    def parse_statement(self, text: str, **kwargs: Any) -> ProviderResult[list[StatementRow]]:
        """Record the call, then behave as :meth:`Provider.parse_statement`."""
        self._current = self._record("parse_statement", text=text, **kwargs)
        return super().parse_statement(text, **kwargs)

    def parse_chat(self, text: str, **kwargs: Any) -> ProviderResult[ChatEntry]:
        """Record the call, then behave as :meth:`Provider.parse_chat`."""
        self._current = self._record("parse_chat", text=text, **kwargs)
        return super().parse_chat(text, **kwargs)

    def suggest_budget(self, **kwargs: Any) -> ProviderResult[dict[str, Decimal]]:
        """Record the call, then behave as :meth:`Provider.suggest_budget`."""
        self._current = self._record("suggest_budget", **kwargs)
        return super().suggest_budget(**kwargs)

    def test_key(self, *, api_key: str, model: str | None = None) -> None:
        """Record the call; raise the next answer if it is an exception.

        :raises Exception: a queued exception.
        """
        self._record("test_key", api_key=api_key, model=model)
        answer = self._next()
        if _is_exception(answer):
            raise _instance(answer)

    # -- the step that would have called a vendor --------------------------------

    def run(
        self,
        operation: str,
        messages: Messages,
        *,
        api_key: str,
        model: str | None,
        json_schema: dict[str, Any] | None,
        validate: Validator,
    ) -> ProviderResult[Any]:
        """Answer from the queue instead of sending ``messages``.

        :returns: a :class:`ProviderResult` (latency 0, no usage).
        :raises Exception: a queued exception; :class:`ProviderResponseError`
            for a queued string that does not validate.
        """
        call = self._current or self._record(operation)
        self._current = None
        call.messages = messages
        model = model or self.default_model
        answer = self._next()
        if _is_exception(answer):
            raise _instance(answer)
        if isinstance(answer, ProviderResult):
            return answer
        if isinstance(answer, str):
            return self.build_result(
                answer, {}, model=model, api_key=api_key, latency_ms=0, validate=validate
            )
        if answer is _EMPTY:
            answer = self.default_answer(operation, call.kwargs)
        confidence = answer.confidence if isinstance(answer, ChatEntry) else 1.0
        return ProviderResult(
            value=answer,
            confidence=confidence,
            raw_response="",
            model=model,
            provider=self.name,
            latency_ms=0,
            usage={},
        )

    def default_answer(self, operation: str, kwargs: dict[str, Any]) -> Any:
        """The value returned when nothing is queued for ``operation``."""
        if operation == "parse_chat":
            return ChatEntry(
                amount=None,
                currency=kwargs.get("default_currency", ""),
                description=kwargs.get("text", ""),
                category="",
                date=kwargs.get("today") or dt.date.today(),
                confidence=0.0,
            )
        if operation == "suggest_budget":
            return equal_split(list(kwargs.get("categories") or []))
        return []

    def send(
        self, messages: Messages, *, api_key: str, model: str, json_schema: dict[str, Any] | None = None
    ) -> tuple[str, Usage]:
        """Never used: :meth:`run` answers from the queue."""
        raise NotImplementedError("FakeProvider answers from its queue; it never sends.")


def _is_exception(answer: Any) -> bool:
    return isinstance(answer, BaseException) or (
        isinstance(answer, type) and issubclass(answer, BaseException)
    )


def _instance(answer: Any) -> BaseException:
    if isinstance(answer, type):
        try:
            return answer(f"FakeProvider raised {answer.__name__}")
        except TypeError:
            return answer()
    return answer
