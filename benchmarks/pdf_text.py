"""Page text: the PDF engines side by side (pypdf, PDFium), file by file; and read_statement on monopoly.

Run from the repository root (no database)::

    PYTHONPATH=src:. .venv/bin/python benchmarks/pdf_text.py [--runs 7]

For the 50-page statement ``tests/pdf_factory`` prints (the one
``benchmarks/imports.py`` imports) and for every PDF of ``../shared/corpus``
that opens (with the password its manifest gives), it prints the median time of:

* ``raw``: each engine's own plain text, no layout (pypdf's ``extract_text()``,
  PDFium's ``PdfTextPage.get_text_range()``), the engines' bare speed;
* ``layout``: the library's page text with each engine
  (``extract_pages(open_pdf(data, engine=...))``: open, measure each page
  against the page limits, lay the text out in columns), what the import uses;

and whether both engines' text gives the table reader the same rows. Then
``read_statement`` on the corpus's monopoly example, whole process (a fresh
interpreter: import, read, parse) with each engine, and the same process
without the read (what starting takes). Runs alternate between the
engines, taking turns at going first.
"""

from __future__ import annotations

import argparse
import io
import logging
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path[:0] = [p for p in ("src", ".") if p not in sys.path]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django  # noqa: E402

django.setup()

from tests.pdf_factory import build_statement, make_rows  # noqa: E402

from django_expense_ai.exceptions import StatementError  # noqa: E402
from django_expense_ai.statements.formats import pdf, pdf_engines  # noqa: E402

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
MONOPOLY = CORPUS / "pdf" / "monopoly__example_statement.pdf"
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
for _name in ("r2", "r3", "r4-aes", "r4", "r5", "r6"):
    PASSWORDS[f"pypdf__encryption_{_name}-user-password.pdf"] = "asdfzxcv"


def raw_pypdf(data: bytes, password: str) -> list[str]:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    if reader.is_encrypted:
        reader.decrypt(password)
    return [page.extract_text() for page in reader.pages]


def raw_pdfium(data: bytes, password: str) -> list[str]:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(data, password=password or None)
    try:
        return [page.get_textpage().get_text_range() for page in document]
    finally:
        document.close()


def layout(data: bytes, password: str, engine: str) -> tuple[str, ...]:
    document = pdf.open_pdf(data, password or None, engine=engine)
    try:
        return pdf.extract_pages(document, max_pages=0, max_seconds=0)
    finally:
        document.close()


def rows(pages) -> list[tuple]:
    parsed = pdf.parse_statement_text(pages)
    return [(r.date, r.amount, "".join(r.description.split()), r.currency) for r in parsed.rows]


def timed(fn, runs: int, engines: list[str]) -> dict[str, float]:
    times: dict[str, list[float]] = {e: [] for e in engines}
    for run in range(runs):
        for engine in engines if run % 2 == 0 else engines[::-1]:
            started = time.perf_counter()
            fn(engine)
            times[engine].append(time.perf_counter() - started)
    return {e: statistics.median(t) * 1000 for e, t in times.items()}


def measure(name: str, data: bytes, runs: int, engines: list[str]) -> dict[str, float] | None:
    password = PASSWORDS.get(name, "")
    try:
        texts = {e: layout(data, password, e) for e in engines}
    except StatementError as err:
        print(f"{name}: not measured ({type(err).__name__})")
        return None
    raw_fns = {"pypdf": raw_pypdf, "pdfium": raw_pdfium}
    raw = timed(lambda e: raw_fns[e](data, password), runs, engines)
    laid = timed(lambda e: layout(data, password, e), runs, engines)
    same = len({repr(rows(t)) for t in texts.values()}) == 1
    line = f"{name}: {len(texts['pypdf'])} pages; raw " + ", ".join(f"{e} {raw[e]:.1f} ms" for e in engines)
    line += "; layout " + ", ".join(f"{e} {laid[e]:.1f} ms" for e in engines)
    if "pdfium" in engines:
        line += (f"; pdfium faster: raw {raw['pypdf'] / raw['pdfium']:.1f}x, "
                 f"layout {laid['pypdf'] / laid['pdfium']:.1f}x; same rows: {'yes' if same else 'NO'}")
    print(line)
    return {**{f"raw {e}": raw[e] for e in engines}, **{f"layout {e}": laid[e] for e in engines}}


def whole_process(engine: str, runs: int) -> float:
    """Median seconds of a fresh interpreter running read_statement on monopoly's example.

    The interpreter configures Django with nothing but ``EXPENSE_AI`` (no apps, no
    database), as a script that only reads statements would: ``read_statement``
    needs no app registry. ``engine="none"`` does everything but the read.
    """
    code = (
        "import sys; from django.conf import settings;"
        "settings.configure(EXPENSE_AI={'PDF_ENGINE': sys.argv[1] if sys.argv[1] != 'none' else 'auto'});"
        "from django_expense_ai.statements import read_statement; import pypdf;"
        "p = None if sys.argv[1] == 'none' else read_statement(open(sys.argv[2], 'rb').read(), 'x.pdf');"
        # monopoly's 53 rows include "LAST MONTH'S BALANCE": the library reads that line as the
        # opening balance, never a transaction, so 52.
        "assert p is None or len(p.rows) == 52"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(["src", os.environ.get("PYTHONPATH", "")])}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return _median_run([sys.executable, "-c", code, engine, str(MONOPOLY)], runs, env)


def monopoly_cli(command: str, runs: int) -> float:
    """Median seconds of monopoly's own CLI (single process) converting the same file to CSV."""
    import tempfile

    with tempfile.TemporaryDirectory() as out:
        return _median_run([command, "--single-process", "--output", out, str(MONOPOLY)], runs, dict(os.environ),
                           quiet=True)


def _median_run(argv: list[str], runs: int, env: dict[str, str], *, quiet: bool = False) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(argv, check=True, env=env, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL if quiet else None)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    logging.getLogger("pypdf").setLevel(logging.CRITICAL)
    engines = ["pypdf", "pdfium"] if pdf_engines.pdfium_available() else ["pypdf"]
    if len(engines) == 1:
        print("pypdfium2 is not installed (pip install 'django-expense-ai[pdfium]'): pypdf only")
    measure("factory statement, 50 pages, 2,390 rows", build_statement(make_rows(2390)), args.runs, engines)
    if not CORPUS.is_dir():
        print(f"corpus not found at {CORPUS}: only the factory statement was measured")
        return 0
    totals: dict[str, float] = {}
    for path in sorted([*CORPUS.glob("pdf/*.pdf"), *CORPUS.glob("pdf_encrypted/*.pdf")]):
        result = measure(path.name, path.read_bytes(), args.runs, engines)
        for key, value in (result or {}).items():
            totals[key] = totals.get(key, 0.0) + value
    print("corpus in all: " + ", ".join(f"{key} {value:.0f} ms" for key, value in totals.items()))
    if MONOPOLY.exists():
        runs = max(3, args.runs // 2)
        whole = {e: whole_process(e, runs) for e in [*engines, "none"]}
        print("read_statement on monopoly's example, whole process (median): "
              + ", ".join(f"{e} {s:.2f} s" for e, s in whole.items() if e != "none")
              + f"; of which starting Python, Django and the library (no read) {whole['none']:.2f} s")
        # monopoly (pip install monopoly-core; it needs poppler's C++ headers) where it is installed.
        command = os.environ.get("MONOPOLY_CLI") or shutil.which("monopoly")
        if command:
            theirs = monopoly_cli(command, runs)
            best = min(whole[e] for e in engines)
            print(f"monopoly's CLI on the same file (median): {theirs:.2f} s; read_statement is "
                  f"{theirs / best:.1f}x faster (target >= 3x: {'met' if theirs / best >= 3 else 'MISSED'})")
        else:
            print("monopoly's CLI is not installed (MONOPOLY_CLI=/path/to/monopoly to compare)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
