"""The built-in providers, registered like any third-party plugin."""

from __future__ import annotations

from collections.abc import Callable

from django_expense_ai import hookimpl

from .claude import ClaudeProvider
from .fake import FakeProvider
from .gemini import GeminiProvider
from .openai import OpenAIProvider


@hookimpl
def register_providers(register: Callable[[type], None]) -> None:
    """Register OpenAI, Claude, Gemini and the fake provider (SDKs load lazily)."""
    register(OpenAIProvider)
    register(ClaudeProvider)
    register(GeminiProvider)
    register(FakeProvider)
