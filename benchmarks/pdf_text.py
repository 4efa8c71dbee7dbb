"""Page text: pypdf's layout extraction against ``formats/pdftext.py``, file by file.

Run from the repository root (no database)::

    PYTHONPATH=src:. .venv/bin/python benchmarks/pdf_text.py [--runs 7]

For the 50-page statement ``tests/pdf_factory`` prints (the one
``benchmarks/imports.py`` imports) and for every PDF of ``../shared/corpus``
that opens with a known password, it prints the median time of
``page.extract_text(extraction_mode="layout")`` over all pages, the median
time of :func:`~django_expense_ai.statements.formats.pdftext.layout_text`, the
ratio, how many pages pdftext read itself (the rest went to pypdf), and
whether the text was the same on every page. The two are timed in
alternation, each on a fresh reader (pypdf caches per page).
"""

from __future__ import annotations

import argparse
import io
import logging
import os
import statistics
import sys
import time
from pathlib import Path

sys.path[:0] = [p for p in ("src", ".") if p not in sys.path]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

from pypdf import PdfReader  # noqa: E402
from tests.pdf_factory import build_statement, make_rows  # noqa: E402

from django_expense_ai.statements.formats import pdftext  # noqa: E402

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
# Passwords of the corpus's encrypted files, from its MANIFEST.md (as tests/test_read_statement_corpus.py).
PASSWORDS = {
    "monopoly__protected.pdf": "foobar123",
    "monopoly__protected_2023-09.pdf": "foobar123",
    "pdfminer__aes-256-r6.pdf": "usersecret",
    "pypdf__crazyones-encrypted-256.pdf": "password",
    "pypdf__encrypted-file.pdf": "test",
    "pypdf__encryption_r6-both-passwords.pdf": "foo",
    "pypdf__libreoffice-writer-password.pdf": "openpassword",
}
for _name in ("aes-128-m", "aes-128", "aes-256-m", "aes-256", "rc4-128", "rc4-40"):
    PASSWORDS[f"pdfminer__{_name}.pdf"] = "baz"
for _name in ("r2", "r3", "r4-aes", "r4"):
    PASSWORDS[f"pypdf__encryption_{_name}-user-password.pdf"] = "asdfzxcv"


def reader(data: bytes, password: str) -> PdfReader | None:
    r = PdfReader(io.BytesIO(data))
    if r.is_encrypted and not r.decrypt(password):
        return None
    return r


def measure(name: str, data: bytes, runs: int) -> tuple[float, float] | None:
    password = PASSWORDS.get(name, "")
    if reader(data, password) is None:
        print(f"{name}: skipped (password unknown)")
        return None
    theirs_t, ours_t = [], []
    for _ in range(runs):
        r = reader(data, password)
        started = time.perf_counter()
        theirs = [page.extract_text(extraction_mode="layout") for page in r.pages]
        theirs_t.append(time.perf_counter() - started)
        r = reader(data, password)
        started = time.perf_counter()
        ours = [pdftext.layout_text(page) for page in r.pages]
        ours_t.append(time.perf_counter() - started)
    fast = 0
    for page in reader(data, password).pages:
        try:
            pdftext._fast_layout_text(page)
            fast += 1
        except Exception:  # noqa: BLE001 - this page goes to pypdf
            pass
    a, b = statistics.median(theirs_t) * 1000, statistics.median(ours_t) * 1000
    print(f"{name}: {len(theirs)} pages, pypdf {a:.1f} ms, pdftext {b:.1f} ms = {b / a:.2f}x; "
          f"read by pdftext {fast}/{len(theirs)}; same text: {'yes' if ours == theirs else 'NO'}")
    return a, b


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    logging.getLogger("pypdf").setLevel(logging.CRITICAL)
    print(f"pdftext.FAST = {pdftext.FAST} (tested pypdf releases: {', '.join(pdftext.TESTED_PYPDF)})")
    measure("factory statement, 2,390 rows", build_statement(make_rows(2390)), args.runs)
    if not CORPUS.is_dir():
        print(f"corpus not found at {CORPUS}: only the factory statement was measured")
        return 0
    totals = []
    for path in sorted([*CORPUS.glob("pdf/*.pdf"), *CORPUS.glob("pdf_encrypted/*.pdf")]):
        result = measure(path.name, path.read_bytes(), args.runs)
        if result:
            totals.append(result)
    a, b = sum(t for t, _ in totals), sum(o for _, o in totals)
    print(f"corpus, {len(totals)} files: pypdf {a:.0f} ms, pdftext {b:.0f} ms in all = {b / a:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
