"""Shared pieces of the REST API tests."""

from __future__ import annotations

import pytest

pytest.importorskip("rest_framework", reason="the [api] extra is not installed")

from rest_framework.test import APIClient  # noqa: E402

BASE = "/api/expense-ai/"


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def assert_problem(response, status: int, code: str | None = None) -> dict:
    """The response is RFC 9457 problem details with this status (and code)."""
    assert response.status_code == status, (response.status_code, getattr(response, "data", response.content))
    assert response["Content-Type"].startswith("application/problem+json"), response["Content-Type"]
    body = response.json()
    assert set(body) >= {"type", "title", "status", "detail", "code"}, body
    assert body["status"] == status and body["detail"]
    if code is not None:
        assert body["code"] == code, body
    return body
