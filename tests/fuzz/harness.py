"""atheris harnesses for the pure readers: CSV, OFX, the PDF table reader on text, the chat grammar.

Run one target for a bounded time (libFuzzer's own flags follow the target name)::

    python -m tests.fuzz.harness csv -max_total_time=10 -timeout=5 SEED_DIR

``tests/test_fuzz_readers.py`` does this for every target, seeded from the
tests' own fixtures and the statement corpus when present. The rule checked:
whatever the bytes, a reader returns a parse or raises one of the library's
own exceptions (:class:`~django_expense_ai.exceptions.ExpenseAIError`); any
other exception is a crash, and an input that runs past ``-timeout`` a hang.
The chat grammar never raises; its ``unparseable`` answer (an internal error
it swallowed) counts as a crash too.
"""

from __future__ import annotations

import datetime as dt
import sys

import atheris

with atheris.instrument_imports(include=["django_expense_ai"]):
    from django_expense_ai.chat import grammar
    from django_expense_ai.exceptions import ExpenseAIError
    from django_expense_ai.statements.formats import csvfmt, ofx, pdf


def _text(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


def fuzz_csv(data: bytes) -> None:
    """The CSV reader over any text (the caps on, as the CSV parser calls it)."""
    try:
        csvfmt.parse_csv_text(_text(data))
    except ExpenseAIError:
        pass


def fuzz_ofx(data: bytes) -> None:
    """The OFX reader over any bytes."""
    try:
        ofx.parse_ofx(data)
    except ExpenseAIError:
        pass


def fuzz_pdf_table(data: bytes) -> None:
    """The PDF table reader over any page text (form feeds split pages)."""
    try:
        pdf.parse_statement_text(_text(data).split("\f"))
    except ExpenseAIError:
        pass


def fuzz_chat(data: bytes) -> None:
    """The chat grammar: never raises, and never fails internally."""
    parse = grammar.parse_text(
        _text(data),
        today=dt.date(2024, 5, 15),
        default_currency="EUR",
        people={"alice": 1, "bob": 2},
        groups={"trip": 10},
        categories={"food": 20, "rent": 21},
    )
    if parse.error == "unparseable":
        raise AssertionError(f"the chat grammar failed internally on {data[:80]!r}")


def canary(data: bytes) -> None:
    """Crashes on inputs starting with ``CRASH``: proves the test notices a crash."""
    if data.startswith(b"CRASH"):
        raise ValueError("canary")


TARGETS = {"csv": fuzz_csv, "ofx": fuzz_ofx, "pdf_table": fuzz_pdf_table, "chat": fuzz_chat, "canary": canary}


def main(argv: list[str]) -> None:
    """``harness TARGET [libFuzzer flags and seed directories]``."""
    if len(argv) < 2 or argv[1] not in TARGETS:
        raise SystemExit(f"usage: {argv[0]} {{{','.join(TARGETS)}}} [libFuzzer args]")
    target = TARGETS[argv[1]]
    atheris.Setup([argv[0], *argv[2:]], target)
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv)
