"""Validators shared by models, forms and services (pure: no ORM)."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

#: Longest ``file_pattern`` accepted (the column's max_length).
MAX_PATTERN_LENGTH = 255

# A quantifier after an atom: *, +, ?, {n}, {n,}, {n,m} (each maybe lazy or possessive).
_QUANTIFIER = re.compile(r"(?:[*+?]|\{(\d*)(,?)(\d*)\})[?+]?")


def _quantifier_at(pattern: str, pos: int) -> tuple[bool, bool, int]:
    """Read a quantifier at ``pos``: ``(repeats more than once, unbounded, end)``; none: ``(False, False, pos)``."""
    match = _QUANTIFIER.match(pattern, pos)
    if match is None:
        return False, False, pos
    token = match.group(0)[0]
    if token in "*+":
        return True, True, match.end()
    if token == "?":
        return False, False, match.end()
    low, comma, high = match.group(1), match.group(2), match.group(3)
    if not comma:  # {n}: exactly n
        return bool(low) and int(low) > 1, False, match.end()
    if not high:  # {n,}: unbounded
        return True, True, match.end()
    return int(high) > 1, False, match.end()


def _skip_class(pattern: str, pos: int) -> int:
    """The index after a ``[...]`` class starting at ``pos``."""
    pos += 1
    if pos < len(pattern) and pattern[pos] == "^":
        pos += 1
    if pos < len(pattern) and pattern[pos] == "]":
        pos += 1
    while pos < len(pattern) and pattern[pos] != "]":
        pos += 2 if pattern[pos] == "\\" else 1
    return pos + 1


def _has_nested_repeat(pattern: str) -> bool:
    """True for an unbounded repeat inside a group that itself repeats, like ``(a+)+``.

    Those are what make a backtracking regex take exponential time on a
    non-matching name; the check is deliberately simple and strict. It reads
    the pattern itself (atoms, classes, groups, quantifiers); the pattern has
    already compiled, so it is well formed.
    """
    # One entry per open group: does it contain an unbounded repeat?
    stack: list[bool] = [False]
    pos = 0
    while pos < len(pattern):
        char = pattern[pos]
        if char == "(":
            stack.append(False)
            pos += 1
            continue
        if char == ")":
            inner = stack.pop()
            repeats, unbounded, pos = _quantifier_at(pattern, pos + 1)
            if repeats and inner:
                return True
            stack[-1] = stack[-1] or inner or unbounded
            continue
        if char == "[":
            pos = _skip_class(pattern, pos)
        elif char == "\\":
            pos += 2
        else:
            pos += 1
        _repeats, unbounded, pos = _quantifier_at(pattern, pos)
        stack[-1] = stack[-1] or unbounded
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
        re.compile(pattern)
    except re.error as err:
        raise ValidationError(
            f"The file pattern is not a valid regular expression: {err}.", code="invalid_pattern"
        ) from err
    if _has_nested_repeat(pattern):
        raise ValidationError(
            "The file pattern repeats a group that itself repeats (like (a+)+); such patterns can "
            "take exponential time. Simplify it, e.g. 'hdfc_.*\\.pdf'.",
            code="unsafe_pattern",
        )
