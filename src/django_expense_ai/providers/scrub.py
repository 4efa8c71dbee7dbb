"""Keep secrets and account numbers out of what leaves or is stored.

Two pure helpers:

* :func:`scrub` removes an API key (and any fragment of it a vendor's error
  message may quote) from text before it is raised, logged or stored.
* :func:`mask_account_numbers` hides account and card numbers in statement
  text before it is sent to a vendor.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

#: What a removed secret is replaced with.
REDACTED = "[REDACTED]"

#: Shortest fragment of a key that counts as "part of the key". Shorter runs
#: are too likely to be ordinary words or numbers in a message.
MIN_FRAGMENT = 6

# Tokens that look like vendor keys even when we were not told the key
# (another user's key echoed back, a key pasted into a description ...).
_KEY_LIKE = re.compile(
    r"""
    \bsk-[A-Za-z0-9_\-]{6,}          # OpenAI / Anthropic style (sk-..., sk-proj-..., sk-ant-...)
    | \bAIza[0-9A-Za-z_\-]{10,}      # Google API keys
    """,
    re.VERBOSE,
)

# A run of digit groups of 3+ digits separated by one space or dash, or one
# long run. Groups of 1-2 digits are left alone so that dates (2024-01-15)
# keep their shape; a run followed by a decimal part is an amount, not an
# account number.
_DIGIT_RUN = re.compile(r"(?<!\d)(?<!\d[.,])\d{3,}(?:[ \-]\d{3,})*(?!\d|[.,]\d)")

#: Fewest digits a run needs before it is treated as an account/card number.
MIN_ACCOUNT_DIGITS = 8

#: Digits left visible at the end of a masked number.
KEEP_LAST = 4


def _secret_spans(text: str, secret: str) -> list[tuple[int, int]]:
    """Spans of ``text`` that are ``secret`` or a substring of it of MIN_FRAGMENT+ chars."""
    if len(secret) < MIN_FRAGMENT:
        return [(m.start(), m.end()) for m in re.finditer(re.escape(secret), text)]
    grams = {secret[i : i + MIN_FRAGMENT] for i in range(len(secret) - MIN_FRAGMENT + 1)}
    spans: list[tuple[int, int]] = []
    i = 0
    while i <= len(text) - MIN_FRAGMENT:
        if text[i : i + MIN_FRAGMENT] in grams:
            end = i + MIN_FRAGMENT
            # Grow the match while it is still a substring of the secret.
            while end < len(text) and text[i : end + 1] in secret:
                end += 1
            spans.append((i, end))
            i = end
        else:
            i += 1
    return spans


def scrub(text: str, secrets: Iterable[str | None] = ()) -> str:
    """Return ``text`` with secrets removed.

    Removes every secret in ``secrets``, any substring of one of them at least
    :data:`MIN_FRAGMENT` characters long (vendors quote key prefixes and
    suffixes, ``sk-abc1...xyz9``), and anything that looks like an OpenAI,
    Anthropic or Google key. Each removal becomes ``[REDACTED]``.

    :param text: any text (an error message, a raw model response).
    :param secrets: keys to remove; empty and ``None`` entries are ignored.
    :returns: the scrubbed text. Never raises for string input.
    """
    if not text:
        return text or ""
    spans: list[tuple[int, int]] = []
    for secret in secrets:
        if secret:
            spans.extend(_secret_spans(text, str(secret)))
    spans.extend((m.start(), m.end()) for m in _KEY_LIKE.finditer(text))
    if not spans:
        return text
    # Merge overlapping spans so one redaction covers them.
    spans.sort()
    merged: list[list[int]] = [list(spans[0])]
    for start, end in spans[1:]:
        if start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    out: list[str] = []
    pos = 0
    for start, end in merged:
        out.append(text[pos:start])
        out.append(REDACTED)
        pos = end
    out.append(text[pos:])
    return "".join(out)


def _mask_run(match: re.Match[str]) -> str:
    run = match.group(0)
    digits = sum(ch.isdigit() for ch in run)
    if digits < MIN_ACCOUNT_DIGITS:
        return run
    to_hide = digits - KEEP_LAST
    out = []
    for ch in run:
        if ch.isdigit() and to_hide > 0:
            out.append("*")
            to_hide -= 1
        else:
            out.append(ch)
    return "".join(out)


def mask_account_numbers(text: str) -> str:
    """Mask account and card numbers, keeping only their last four digits.

    A number is a run of at least :data:`MIN_ACCOUNT_DIGITS` digits, possibly
    split into groups of three or more digits by single spaces or dashes
    (``4111 1111 1111 1111``, ``3782-822463-10005``, ``DE89370400440532013000``).
    Masked digits become ``*`` and separators are kept, so the layout of the
    statement survives. Dates (``2024-01-15``) and amounts with a decimal part
    (``12345678.90``) are left alone.

    :param text: statement text.
    :returns: the text with such numbers masked. Never raises for string input.
    """
    if not text:
        return text or ""
    return _DIGIT_RUN.sub(_mask_run, text)
