"""Google Gemini, through the ``google-genai`` SDK (``models.generate_content``).

Install with ``pip install "django-expense-ai[gemini]"``.

google-genai does not retry unless asked: retries are configured with
``HttpOptions(retry_options=HttpRetryOptions(attempts=...))``, where
``attempts`` counts the first request too. Its timeout is in milliseconds.
"""

from __future__ import annotations

from typing import Any

from ..exceptions import ProviderError
from .base import Messages, Provider, Usage, normalize_usage


class GeminiProvider(Provider):
    """``generate_content`` with ``response_mime_type="application/json"``."""

    name = "gemini"
    label = "Google Gemini"
    extra = "gemini"
    #: First back-off in seconds (google-genai ignores Retry-After; tests lower this).
    retry_initial_delay: float = 1.0
    #: Longest back-off between two attempts, in seconds.
    retry_max_delay: float = 8.0

    def client(self, api_key: str) -> Any:
        """A configured ``google.genai.Client`` (the SDK is imported here, lazily).

        :returns: the client; the caller closes it.
        :raises ProviderNotInstalled: the ``google-genai`` package is missing.
        """
        try:
            # `import google.genai` (not `from google import genai`) so a
            # missing or blocked submodule always raises ImportError.
            import google.genai as genai
            from google.genai import types
        except ImportError as err:
            raise self.not_installed(err) from err
        http_options = types.HttpOptions(
            base_url=self.base_url,
            # Pinned: the SDK's default moved from v1beta to v1 between releases;
            # v1beta carries the JSON response mode on every supported version.
            api_version=self.api_version,
            timeout=max(1, int(self.timeout * 1000)),
            retry_options=types.HttpRetryOptions(
                attempts=self.max_retries + 1,
                initial_delay=self.retry_initial_delay,
                max_delay=self.retry_max_delay,
            ),
        )
        # vertexai=False: never let GOOGLE_GENAI_USE_VERTEXAI send user data elsewhere.
        return genai.Client(api_key=api_key, vertexai=False, http_options=http_options)

    #: Gemini API version the client talks to (the same whatever SDK release is installed).
    api_version = "v1beta"

    def send(
        self, messages: Messages, *, api_key: str, model: str, json_schema: dict[str, Any] | None = None
    ) -> tuple[str, Usage]:
        """Call ``models.generate_content`` with the system message as system instruction.

        :returns: the response text and the token usage.
        """
        client = self.client(api_key)  # first: it raises ProviderNotInstalled
        from google.genai import types

        system = "\n\n".join(m["content"] for m in messages if m["role"] == "system")
        user = "\n\n".join(m["content"] for m in messages if m["role"] != "system")
        try:
            response = client.models.generate_content(
                model=model,
                contents=user,
                config=types.GenerateContentConfig(
                    system_instruction=system or None,
                    response_mime_type="application/json",
                    temperature=0,
                ),
            )
        finally:
            client.close()
        meta = response.usage_metadata
        return response.text or "", normalize_usage(
            input_tokens=getattr(meta, "prompt_token_count", None),
            output_tokens=getattr(meta, "candidates_token_count", None),
            total_tokens=getattr(meta, "total_token_count", None),
        )

    def translate_error(self, err: Exception, *, model: str) -> ProviderError:
        """Map ``google.genai.errors.APIError`` by code; httpx timeouts by class."""
        try:
            from google.genai import errors
        except ImportError:  # pragma: no cover - send() would have failed first
            return super().translate_error(err, model=model)
        if isinstance(err, errors.APIError):
            message = str(err.message or "")
            # Gemini answers a bad key with 400 INVALID_ARGUMENT, reason API_KEY_INVALID.
            key_refused = err.code == 400 and (
                "API_KEY_INVALID" in str(err.details) or "API key not valid" in message
            )
            return self.status_error(err.code, message, model=model, key_refused=key_refused)
        return super().translate_error(err, model=model)
