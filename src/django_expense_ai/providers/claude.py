"""Anthropic Claude, through the official ``anthropic`` SDK (messages API).

Install with ``pip install "django-expense-ai[anthropic]"``.
"""

from __future__ import annotations

from typing import Any

from ..exceptions import ProviderError
from .base import Messages, Provider, Usage, normalize_usage


class ClaudeProvider(Provider):
    """The messages API; the system prompt asks for JSON only."""

    name = "claude"
    label = "Anthropic Claude"
    extra = "anthropic"
    #: ``max_tokens`` is required by the messages API; long statements need room.
    max_output_tokens = 8192

    def client(self, api_key: str) -> Any:
        """A configured ``anthropic.Anthropic`` client (the SDK is imported here, lazily).

        :returns: the client; the caller closes it.
        :raises ProviderNotInstalled: the ``anthropic`` package is missing.
        """
        try:
            import anthropic
        except ImportError as err:
            raise self.not_installed(err) from err
        return anthropic.Anthropic(
            api_key=api_key,
            base_url=self.base_url,
            timeout=self.timeout,
            max_retries=self.max_retries,
        )

    def send(
        self, messages: Messages, *, api_key: str, model: str, json_schema: dict[str, Any] | None = None
    ) -> tuple[str, Usage]:
        """Call ``messages.create`` with the system message split out.

        :returns: the concatenated text blocks and the token usage.
        """
        system = "\n\n".join(m["content"] for m in messages if m["role"] == "system")
        turns = [{"role": m["role"], "content": m["content"]} for m in messages if m["role"] != "system"]
        client = self.client(api_key)
        try:
            response = client.messages.create(
                model=model,
                max_tokens=self.max_output_tokens,
                system=system,
                messages=turns,
            )
        finally:
            client.close()
        text = "".join(getattr(block, "text", "") for block in response.content or [])
        usage = response.usage
        return text, normalize_usage(
            input_tokens=getattr(usage, "input_tokens", None),
            output_tokens=getattr(usage, "output_tokens", None),
        )

    def translate_error(self, err: Exception, *, model: str) -> ProviderError:
        """Map ``anthropic`` exceptions by type and HTTP status."""
        try:
            import anthropic
        except ImportError:  # pragma: no cover - send() would have failed first
            return super().translate_error(err, model=model)
        return self.translate_sdk_error(err, anthropic, model=model)
