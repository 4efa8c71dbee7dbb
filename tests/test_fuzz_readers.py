"""Fuzzed readers (issue 18.4): each pure reader runs under atheris for a bounded time.

Seeds are the tests' own fixtures plus the statement corpus when it is
present. A target fails when a reader lets out anything but the library's own
exceptions, or one input runs past the per-input timeout (a hang). Each
target runs ``EXPENSE_AI_FUZZ_SECONDS`` seconds (4 by default, so the whole
module takes about 30 s per database factor of the test command); set it higher
for a longer hunt. A crash or hang found becomes a regression test in
``tests/test_statement_readers.py`` (libFuzzer writes the input next to the
report, under ``artifacts/``).
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

if importlib.util.find_spec("atheris") is None:  # the dev extra installs it on Python 3.11+ (its wheels)
    pytest.skip("atheris is not installed (the dev extra installs it on Python 3.11+)", allow_module_level=True)

from .pdf_factory import monospace_pdf  # noqa: E402
from .test_statement_readers import CARD_CSV, CARD_LINES, OFX_ROWS, _ofx, knab_csv, knab_rows

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
SECONDS = int(os.environ.get("EXPENSE_AI_FUZZ_SECONDS", "4"))
SEED_LIMIT = 64 * 1024  # larger corpus files only slow each run down


def _corpus(*folders: str) -> list[bytes]:
    files = [p for folder in folders for p in sorted((CORPUS / folder).glob("*")) if p.is_file()]
    return [p.read_bytes() for p in files if p.stat().st_size <= SEED_LIMIT]


def _seeds(target: str) -> list[bytes]:
    if target == "csv":
        indicator = b"Date;Description;Amount;D/C\n2024-03-01;Rent;950,00;D\n2024-03-02;Pay;2.500,00;C\n"
        return [knab_csv(knab_rows()), CARD_CSV, indicator, *_corpus("csv")]
    if target == "ofx":
        return [_ofx(OFX_ROWS), _ofx([]), *_corpus("ofx", "qfx")]
    if target == "pdf_table":
        from django_expense_ai.statements.reader import load_document

        pages = [load_document(monospace_pdf(*CARD_LINES), "card.pdf").text.encode()]
        monopoly = CORPUS / "pdf" / "monopoly__example_statement.pdf"
        if monopoly.exists():
            pages.append(load_document(monopoly.read_bytes(), "m.pdf").text.encode())
        return pages
    if target == "chat":
        return [b"@alice $50 lunch at pizza place", b"#food 12,50 EUR yesterday", b"split 3 ways 90 dinner @trip"]
    return [b"hello"]


def _run(target: str, seeds: list[bytes], workdir: Path, seconds: int) -> subprocess.CompletedProcess[str]:
    seed_dir = workdir / "seeds"
    artifacts = workdir / "artifacts"
    seed_dir.mkdir(parents=True)
    artifacts.mkdir()
    for number, seed in enumerate(seeds):
        (seed_dir / f"seed-{number:03d}").write_bytes(seed)
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}"}
    return subprocess.run(
        [
            sys.executable, "-m", "tests.fuzz.harness", target,
            f"-max_total_time={seconds}", "-timeout=10", "-rss_limit_mb=2048", "-max_len=65536",
            f"-artifact_prefix={artifacts}/", "-print_final_stats=1", str(seed_dir),
        ],  # fmt: skip
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=seconds + 120,
    )


@pytest.mark.parametrize("target", ["csv", "ofx", "pdf_table", "chat"])
def test_reader_survives_fuzzing(target, tmp_path):
    result = _run(target, _seeds(target), tmp_path, SECONDS)
    found = sorted(p.name for p in (tmp_path / "artifacts").iterdir())
    assert result.returncode == 0 and not found, (
        f"fuzzing {target} found {found} in {tmp_path / 'artifacts'}:\n{result.stderr[-4000:]}"
    )
    assert "Done" in result.stderr  # it really ran


def test_a_crash_is_noticed(tmp_path):
    result = _run("canary", [b"CRASH now"], tmp_path, 5)
    assert result.returncode != 0
    assert any(p.name.startswith("crash-") for p in (tmp_path / "artifacts").iterdir())
