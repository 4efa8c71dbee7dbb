"""A fake OpenAI / Anthropic / Gemini server for tests, over real HTTP on 127.0.0.1.

The real SDKs are pointed at it through ``EXPENSE_AI["PROVIDER_BASE_URLS"]``,
so their request building, retries, timeouts and error mapping all run. No
test reaches the internet.

Use the ``fake_api`` fixture (import it into a test module)::

    def test_x(fake_api):
        fake_api.script(OPENAI_PATH, Reply(429, openai_error(...)), Reply(200, openai_completion("{}")))
        ...
        assert len(fake_api.requests_to(OPENAI_PATH)) == 2

Replies scripted for a path are used in order; the last one repeats. A path
with no script answers 404.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

OPENAI_PATH = "/v1/chat/completions"
ANTHROPIC_PATH = "/v1/messages"


def gemini_path(model: str, api_version: str = "v1beta") -> str:
    """Path google-genai posts to for ``generate_content`` with ``model``.

    The provider pins the API version (``GeminiProvider.api_version``), since
    google-genai's default moved from ``v1beta`` (2.x) to ``v1`` (3.x).
    """
    return f"/{api_version}/models/{model}:generateContent"


@dataclass
class Reply:
    """One scripted answer: status, body (JSON-able, ``str`` or ``bytes``), delay, headers."""

    status: int = 200
    body: Any = None
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class RecordedRequest:
    """A request the server received; header names are lower-case."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """The body decoded as JSON."""
        return json.loads(self.body or b"null")

    @property
    def text(self) -> str:
        """The body as text."""
        return self.body.decode("utf-8", "replace")


# -- wire formats ------------------------------------------------------------


def openai_completion(content: str, *, model: str = "gpt-test", usage: tuple[int, int] = (11, 7)) -> dict:
    """A chat.completions response whose first choice says ``content``."""
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 1700000000,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": None},
                "finish_reason": "stop",
                "logprobs": None,
            }
        ],
        "usage": {"prompt_tokens": usage[0], "completion_tokens": usage[1], "total_tokens": sum(usage)},
    }


def openai_error(message: str, *, type: str = "invalid_request_error", code: str | None = None) -> dict:
    """An OpenAI error body."""
    return {"error": {"message": message, "type": type, "param": None, "code": code}}


def anthropic_message(text: str, *, model: str = "claude-test", usage: tuple[int, int] = (13, 5)) -> dict:
    """A messages API response with one text block."""
    return {
        "id": "msg_fake",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [{"type": "text", "text": text}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": usage[0], "output_tokens": usage[1]},
    }


def anthropic_error(message: str, *, type: str = "invalid_request_error") -> dict:
    """An Anthropic error body."""
    return {"type": "error", "error": {"type": type, "message": message}}


def gemini_response(text: str, *, model: str = "gemini-test", usage: tuple[int, int] = (17, 3)) -> dict:
    """A generateContent response with one candidate."""
    return {
        "candidates": [
            {"content": {"role": "model", "parts": [{"text": text}]}, "finishReason": "STOP", "index": 0}
        ],
        "usageMetadata": {
            "promptTokenCount": usage[0],
            "candidatesTokenCount": usage[1],
            "totalTokenCount": sum(usage),
        },
        "modelVersion": model,
    }


def gemini_error(code: int, status: str, message: str, *, reason: str | None = None) -> dict:
    """A Google API error body (``reason`` adds an ErrorInfo detail, e.g. API_KEY_INVALID)."""
    details = (
        [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": reason, "domain": "googleapis.com"}]
        if reason
        else []
    )
    return {"error": {"code": code, "message": message, "status": status, "details": details}}


# -- the server --------------------------------------------------------------


class FakeAPI:
    """A threaded HTTP server answering scripted replies and recording requests."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._scripts: dict[str, list[Reply]] = {}
        self.requests: list[RecordedRequest] = []
        self._stopping = threading.Event()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.api = self
        # A short poll interval keeps shutdown (once per test) quick.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, name="fakeapi", daemon=True
        )

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``, no trailing slash."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def provider_base_urls(self) -> dict[str, str]:
        """``PROVIDER_BASE_URLS`` pointing each built-in provider here."""
        return {"openai": f"{self.base_url}/v1", "claude": self.base_url, "gemini": self.base_url}

    def start(self) -> FakeAPI:
        """Start serving in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Wake delayed handlers, stop serving and close the socket."""
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def script(self, path: str, *replies: Reply) -> None:
        """Answer requests to ``path`` with ``replies`` in order (the last one repeats)."""
        with self._lock:
            self._scripts[path] = list(replies)

    def requests_to(self, path: str) -> list[RecordedRequest]:
        """Requests received for ``path`` (query string ignored)."""
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def _answer(self, request: RecordedRequest) -> Reply:
        with self._lock:
            self.requests.append(request)
            replies = self._scripts.get(request.path)
            if not replies:
                return Reply(404, {"error": {"message": f"fakeapi: nothing scripted for {request.path}"}})
            return replies.pop(0) if len(replies) > 1 else replies[0]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    api: FakeAPI

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that timed out has hung up before a delayed reply: expected.
        pass


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        request = RecordedRequest(
            method=self.command,
            path=self.path.split("?", 1)[0],
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
        )
        api = self.server.api
        reply = api._answer(request)
        if reply.delay and api._stopping.wait(reply.delay):
            return
        if isinstance(reply.body, bytes):
            payload, content_type = reply.body, "application/octet-stream"
        elif isinstance(reply.body, str):
            payload, content_type = reply.body.encode(), "text/plain; charset=utf-8"
        else:
            payload, content_type = json.dumps(reply.body).encode(), "application/json"
        self.send_response(reply.status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    do_POST = _handle  # noqa: N815 - http.server dispatches on these names
    do_GET = _handle  # noqa: N815


@pytest.fixture
def fake_api() -> Iterator[FakeAPI]:
    """A running :class:`FakeAPI`, stopped after the test."""
    api = FakeAPI().start()
    try:
        yield api
    finally:
        api.stop()
