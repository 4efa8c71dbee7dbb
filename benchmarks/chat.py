"""Chat quick-entry benchmarks.

Parser only (pure, no database)::

    PYTHONPATH=src python benchmarks/chat.py --parser-only [--rounds 10] [--messages 20000]

parses a realistic mixed corpus (amount forms, currencies, mentions, dates,
splits, income, chatter without an amount, hostile input) round after round
and prints messages per second: the best round (least disturbed by other
processes) and the median.

End to end (``--submit``) needs a database and is not written yet; see
:func:`bench_submit`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time

from django_expense_ai.chat.grammar import parse_text

TODAY = dt.date(2026, 11, 4)
PEOPLE = {"john": object(), "mary": object(), "ana": object(), "li": object()}
GROUPS = {"flatmates": object(), "team": object()}
CATEGORIES = {name: object() for name in ("food", "travel", "groceries", "rent", "fun", "health")}

# Roughly what a chat channel sees: mostly short expenses, some with
# mentions, dates or splits, a little income, chatter and junk.
CORPUS = (
    "@john $50 lunch at pizza place",
    "paid $19.99 for spotify",
    "coffee 4.50",
    "uber to the airport 23.40",
    "groceries at whole foods $87.12 yesterday #groceries",
    "split 3 ways $90 dinner",
    "split with @mary @ana $42.30 pizza",
    "$30 dinner with @john and @li",
    "1.234,56 € rent #rent",
    "€12,50 wine",
    "£8.20 sandwich",
    "¥1.250 sushi",
    "KWD 1.250 tea",
    "₹350 auto rickshaw",
    "A$20 beer",
    "CHF 18 parking",
    "5k laptop",
    "45 bucks gas",
    "+$200 from mom",
    "received $50 from @john",
    "salary 3000 EUR",
    "refund $15 shoes",
    "coffee 3 days ago $4",
    "$5 coffee last friday",
    "$12 lunch on 2026-11-03 #food",
    "@flatmates $60 groceries",
    "movie tickets $24 #fun",
    "pharmacy 18.75 #health",
    "taxi 2 people 35",
    "hello, how do I add an expense?",
    "lunch",
    "$0",
    "¥12.5 oops",
    "<script>alert(1)</script> $5",
    "'; DROP TABLE users; -- $5",
    "\u200b$5\u200f lunch \u202e",
    "مرحبا $5 قهوة",
    "🍕 $12 pizza 🍕",
    "gym membership 49.99 monthly",
    "bought a new phone for 899 USD",
)


def bench_parser(*, messages: int, rounds: int) -> dict[str, float]:
    """Parse ``messages`` corpus messages per round, ``rounds`` times.

    :returns: messages/second by wall clock (best and median round) and by the
        process's CPU time (best round), which other busy processes on the
        machine disturb much less.
    """
    corpus = (CORPUS * (messages // len(CORPUS) + 1))[:messages]
    kwargs = {"today": TODAY, "people": PEOPLE, "groups": GROUPS, "categories": CATEGORIES}
    parse_text(corpus[0], **kwargs)  # warm caches outside the timing
    wall, cpu = [], []
    for _ in range(rounds):
        start, start_cpu = time.perf_counter(), time.process_time()
        for text in corpus:
            parse_text(text, **kwargs)
        wall.append(messages / (time.perf_counter() - start))
        cpu.append(messages / max(time.process_time() - start_cpu, 1e-9))
    return {"best": max(wall), "median": statistics.median(wall), "cpu_best": max(cpu)}


# --- END-TO-END: TO BE WRITTEN ------------------------------------------------
def bench_submit() -> None:
    """End-to-end benchmark (parse_message + submit into the ledger).

    STUB: needs a configured database and the chat service wrapper; to be
    filled in by whoever owns ``chat.submit``.
    """
    print("needs database; see run with --submit")


# -----------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point; prints the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--parser-only", action="store_true", help="only the pure grammar (the default)")
    parser.add_argument("--submit", action="store_true", help="end to end, needs a database")
    parser.add_argument("--messages", type=int, default=20_000, help="messages per round")
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args(argv)
    if args.submit and not args.parser_only:
        bench_submit()
        return
    rates = bench_parser(messages=args.messages, rounds=args.rounds)
    print(
        f"chat grammar: {len(CORPUS)} distinct messages, {args.messages} per round, {args.rounds} rounds: "
        f"best {rates['best']:,.0f} messages/s, median {rates['median']:,.0f} messages/s "
        f"(CPU time: {rates['cpu_best']:,.0f} messages/s)"
    )


if __name__ == "__main__":
    main()
