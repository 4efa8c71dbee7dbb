"""Validators shared by models, forms and services (pure: no ORM)."""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError

try:  # Python 3.11+: the parser moved (sre_parse now warns on import)
    from re import _constants as sre_constants
    from re import _parser as sre_parse
except ImportError:  # pragma: no cover - Python 3.10
    import sre_constants  # type: ignore[no-redef]
    import sre_parse  # type: ignore[no-redef]

#: Longest ``file_pattern`` accepted (the column's max_length).
MAX_PATTERN_LENGTH = 255

_REPEATS = {sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT}
if hasattr(sre_constants, "POSSESSIVE_REPEAT"):
    _REPEATS.add(sre_constants.POSSESSIVE_REPEAT)


def _subpatterns(value: Any):
    """Every parsed sub-pattern nested anywhere in one node's arguments."""
    if isinstance(value, sre_parse.SubPattern):
        yield value
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _subpatterns(item)


def _has_unbounded_repeat(pattern: Any) -> bool:
    for op, av in pattern:
        if op in _REPEATS and av[1] == sre_constants.MAXREPEAT:
            return True
        if any(_has_unbounded_repeat(sub) for sub in _subpatterns(av)):
            return True
    return False


def _has_nested_repeat(pattern: Any) -> bool:
    """True for an unbounded repeat inside another repeat, like ``(a+)+``.

    Those are what make a backtracking regex take exponential time on a
    non-matching name; the check is deliberately simple and strict.
    """
    for op, av in pattern:
        if op in _REPEATS:
            _min, high, body = av
            if high > 1 and _has_unbounded_repeat(body):
                return True
        if any(_has_nested_repeat(sub) for sub in _subpatterns(av)):
            return True
    return False


def validate_file_pattern(pattern: str) -> None:
    """Check a ``file_pattern`` before it is saved.

    :raises ValidationError: the pattern is longer than 255 characters, is not a
        valid regular expression, or nests repetitions (``(a+)+``) that can make
        matching take exponential time.
    """
    if not pattern:
        return
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise ValidationError(
            f"The file pattern is {len(pattern)} characters long; at most {MAX_PATTERN_LENGTH} are allowed.",
            code="pattern_too_long",
        )
    try:
        parsed = sre_parse.parse(pattern)
        re.compile(pattern)
    except re.error as err:
        raise ValidationError(
            f"The file pattern is not a valid regular expression: {err}.", code="invalid_pattern"
        ) from err
    if _has_nested_repeat(parsed):
        raise ValidationError(
            "The file pattern repeats a group that itself repeats (like (a+)+); such patterns can "
            "take exponential time. Simplify it, e.g. 'hdfc_.*\\.pdf'.",
            code="unsafe_pattern",
        )
