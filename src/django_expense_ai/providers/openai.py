"""OpenAI, through the official ``openai`` SDK (chat completions in JSON mode).

Install with ``pip install "django-expense-ai[openai]"``.
"""

from __future__ import annotations

from typing import Any

from ..exceptions import ProviderError
from .base import Messages, Provider, Usage, normalize_usage


class OpenAIProvider(Provider):
    """Chat completions with ``response_format={"type": "json_object"}``."""

    name = "openai"
    label = "OpenAI"
    extra = "openai"

    def client(self, api_key: str) -> Any:
        """A configured ``openai.OpenAI`` client (the SDK is imported here, lazily).

        :returns: the client; the caller closes it.
        :raises ProviderNotInstalled: the ``openai`` package is missing.
        """
        try:
            import openai
        except ImportError as err:
            raise self.not_installed(err) from err
        return openai.OpenAI(
            api_key=api_key,
            base_url=self.base_url,  # None: the SDK's default (or OPENAI_BASE_URL)
            timeout=self.timeout,
            max_retries=self.max_retries,
        )

    def send(
        self, messages: Messages, *, api_key: str, model: str, json_schema: dict[str, Any] | None = None
    ) -> tuple[str, Usage]:
        """Call ``chat.completions.create``; the schema is already in the prompt.

        :returns: the first choice's content and the token usage.
        """
        client = self.client(api_key)
        try:
            completion = client.chat.completions.create(
                model=model,
                messages=messages,
                response_format={"type": "json_object"},
            )
        finally:
            client.close()
        choice = completion.choices[0] if completion.choices else None
        text = (choice.message.content if choice else None) or ""
        usage = completion.usage
        return text, normalize_usage(
            input_tokens=getattr(usage, "prompt_tokens", None),
            output_tokens=getattr(usage, "completion_tokens", None),
            total_tokens=getattr(usage, "total_tokens", None),
        )

    def translate_error(self, err: Exception, *, model: str) -> ProviderError:
        """Map ``openai`` exceptions by type and HTTP status."""
        try:
            import openai
        except ImportError:  # pragma: no cover - send() would have failed first
            return super().translate_error(err, model=model)
        return self.translate_sdk_error(err, openai, model=model)
