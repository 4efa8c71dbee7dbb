"""Throttles per scope: ``expense_ai_chat``, ``expense_ai_upload``, ``expense_ai_keys``.

Rates come from the host's ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` when
it names the scope, else from ``EXPENSE_AI["API_THROTTLE_RATES"]``; ``None``
turns a scope off.
"""

from __future__ import annotations

from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle

from ..conf import settings


class ExpenseAIScopedThrottle(ScopedRateThrottle):
    """``ScopedRateThrottle`` with the library's default rates; only views with a scope are throttled."""

    def get_rate(self):
        rates = api_settings.DEFAULT_THROTTLE_RATES or {}
        if self.scope in rates:
            return rates[self.scope]
        return (settings.API_THROTTLE_RATES or {}).get(self.scope)

    def allow_request(self, request, view):
        self.scope = getattr(view, self.scope_attr, None)
        if not self.scope:
            return True
        self.rate = self.get_rate()
        if self.rate is None:
            return True
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super(ScopedRateThrottle, self).allow_request(request, view)
