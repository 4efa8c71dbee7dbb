"""Errors as RFC 9457 problem details: ``type``, ``title``, ``status``, ``detail``, ``code``.

``code`` is stable: the library's error class name (``SplitError``,
``NotYours``, ``InvalidTransition`` ...) or, for errors DRF raises itself,
its error code (``not_authenticated``, ``throttled`` ...). Validation errors
add ``errors``: ``{field: [message, ...]}``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions as drf_exceptions
from rest_framework import serializers, status
from rest_framework.response import Response

from .. import exceptions as errors

PROBLEM_CONTENT_TYPE = "application/problem+json"
TYPE_BASE = "https://django-expense-ai.readthedocs.io/en/latest/api.html#error-"

#: Library errors whose HTTP status is not the default 400.
_STATUS = (
    (errors.NotYours, status.HTTP_404_NOT_FOUND),
    (errors.StatementTooLarge, status.HTTP_413_REQUEST_ENTITY_TOO_LARGE),
    (errors.InvalidTransition, status.HTTP_409_CONFLICT),
    (errors.MergeError, status.HTTP_409_CONFLICT),
    (errors.ProviderUnavailable, status.HTTP_409_CONFLICT),
    (errors.ProviderError, status.HTTP_502_BAD_GATEWAY),
    (errors.DecryptionError, status.HTTP_500_INTERNAL_SERVER_ERROR),
    (errors.ConfigurationError, status.HTTP_500_INTERNAL_SERVER_ERROR),
    (errors.ReadOnlyRow, status.HTTP_403_FORBIDDEN),
)
_TITLES = {
    400: "Bad request", 401: "Not signed in", 403: "Not allowed", 404: "Not found", 405: "Method not allowed",
    409: "Conflict", 413: "Too large", 415: "Unsupported media type", 422: "Invalid input",
    429: "Too many requests", 500: "Server error", 502: "AI provider error",
}


class ProblemSerializer(serializers.Serializer):
    """An RFC 9457 problem details object (``application/problem+json``)."""

    type = serializers.CharField(help_text="A URI naming the kind of problem (documented on the API page).")
    title = serializers.CharField(help_text="A short summary of the kind of problem.")
    status = serializers.IntegerField(help_text="The HTTP status code.")
    detail = serializers.CharField(help_text="What happened and what to do, for a person.")
    code = serializers.CharField(
        help_text="Stable machine-readable code: the library's error class name (e.g. SplitError, "
        "NotYours, InvalidTransition) or DRF's error code (not_authenticated, throttled, ...)."
    )
    errors = serializers.DictField(  # type: ignore[assignment]  # a declared field, which DRF's metaclass moves off the class
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Validation errors by field (non_field_errors for the whole input).",
    )


def _code_of(exc: BaseException) -> str:
    return type(exc).__name__


def _flatten(detail: Any) -> dict[str, list[str]]:
    if isinstance(detail, dict):
        out: dict[str, list[str]] = {}
        for key, value in detail.items():
            if isinstance(value, dict):
                for sub, msgs in _flatten(value).items():
                    out[f"{key}.{sub}"] = msgs
            elif isinstance(value, list) and value and isinstance(value[0], dict):
                for i, item in enumerate(value):
                    for sub, msgs in _flatten(item).items():
                        out[f"{key}[{i}].{sub}"] = msgs
            else:
                out[str(key)] = [str(v) for v in (value if isinstance(value, list) else [value])]
        return out
    items = detail if isinstance(detail, list) else [detail]
    return {"non_field_errors": [str(v) for v in items]}


def problem(status_code: int, detail: str, code: str, *, errors_by_field: dict | None = None,
            headers: dict | None = None) -> Response:
    """A problem-details response."""
    body: dict[str, Any] = {
        "type": TYPE_BASE + code.lower(),
        "title": _TITLES.get(status_code, "Error"),
        "status": status_code,
        "detail": detail,
        "code": code,
    }
    if errors_by_field:
        body["errors"] = errors_by_field
    response = Response(body, status=status_code, headers=headers, content_type=PROBLEM_CONTENT_TYPE)
    return response


def _library_error(exc: errors.ExpenseAIError) -> Response:
    code = _code_of(exc)
    status_code: int = status.HTTP_400_BAD_REQUEST
    for kind, mapped in _STATUS:
        if isinstance(exc, kind):
            status_code = mapped
            break
    if isinstance(exc, errors.ProviderError) and exc.status_code in (401, 403):
        status_code = status.HTTP_400_BAD_REQUEST
    field_errors = None
    if isinstance(exc, DjangoValidationError):
        if isinstance(exc, errors.OwnershipError):
            status_code = status.HTTP_400_BAD_REQUEST
            if exc.field:
                field_errors = {exc.field: [str(exc)]}
        elif hasattr(exc, "error_dict"):
            field_errors = {k: [str(m) for e in v for m in e] for k, v in exc.error_dict.items()}
        status_code = status.HTTP_422_UNPROCESSABLE_ENTITY if field_errors is None and status_code == 400 else (
            status_code)
    if status_code >= 500 and not isinstance(exc, errors.ProviderError):
        detail = "The server is misconfigured; the site's administrators have been told."
    else:
        detail = str(exc)
    return problem(status_code, detail, code, errors_by_field=field_errors)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """The API's exception handler: every error a problem-details response.

    Views of :mod:`django_expense_ai.api` use it whatever the host's
    ``REST_FRAMEWORK["EXCEPTION_HANDLER"]`` is. Unexpected exceptions return
    ``None`` (Django's 500 handling, which logs them).
    """
    if isinstance(exc, errors.ExpenseAIError):
        return _library_error(exc)
    if isinstance(exc, (Http404, ObjectDoesNotExist)):
        return problem(404, "Not found.", "not_found")
    if isinstance(exc, PermissionDenied):
        return problem(403, str(exc) or "You may not do that.", "permission_denied")
    if isinstance(exc, DjangoValidationError):
        field_errors = (
            {k: [str(m) for e in v for m in e] for k, v in exc.error_dict.items()}
            if hasattr(exc, "error_dict") else {"non_field_errors": [str(m) for m in exc.messages]}
        )
        return problem(400, "; ".join(m for msgs in field_errors.values() for m in msgs), "ValidationError",
                       errors_by_field=field_errors)
    if isinstance(exc, drf_exceptions.APIException):
        headers = {}
        auth_header = getattr(exc, "auth_header", None)  # NotAuthenticated, AuthenticationFailed
        if auth_header:
            headers["WWW-Authenticate"] = auth_header
        wait = getattr(exc, "wait", None)  # Throttled
        if wait:
            headers["Retry-After"] = str(int(wait))
        if isinstance(exc, drf_exceptions.ValidationError):
            field_errors = _flatten(exc.detail)
            detail = "; ".join(f"{k}: {' '.join(v)}" for k, v in field_errors.items())
            return problem(exc.status_code, detail, "invalid", errors_by_field=field_errors, headers=headers)
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else "error"
        return problem(exc.status_code, str(exc.detail), code, headers=headers)
    return None


class ProblemDetailsMixin:
    """Use :func:`exception_handler` whatever the host's DRF setting says."""

    def get_exception_handler(self) -> Callable[[Exception, dict[str, Any]], Response | None]:
        return exception_handler
