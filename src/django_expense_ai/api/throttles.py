"""Throttles per scope: ``expense_ai_chat``, ``expense_ai_upload``, ``expense_ai_keys``.

Rates come from the host's ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` when
it names the scope, else from ``EXPENSE_AI["API_THROTTLE_RATES"]``; ``None``
turns a scope off.
"""

from __future__ import annotations

from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from ..conf import settings


class ExpenseAIScopedThrottle(ScopedRateThrottle):
    """``ScopedRateThrottle`` with the library's default rates; only views with a scope are throttled."""

    def get_rate(self) -> str | None:
        if not self.scope:  # allow_request lets a view without a scope through first
            return None
        rates = api_settings.DEFAULT_THROTTLE_RATES or {}
        if self.scope in rates:
            # Rates are strings ("10/minute"); the settings stub types them as numbers.
            return rates[self.scope]  # type: ignore[return-value]
        return (settings.API_THROTTLE_RATES or {}).get(self.scope)

    def allow_request(self, request: Request, view: APIView) -> bool:
        self.scope = getattr(view, self.scope_attr, None)
        if not self.scope:
            return True
        self.rate = self.get_rate()
        if self.rate is None:
            return True
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super(ScopedRateThrottle, self).allow_request(request, view)
