#!/usr/bin/env python3
"""Vendor the pages' browser libraries from the npm registry into the package's static files.

One step, run by a maintainer when a version changes (hosts never run it; the
files are committed, so a host needs no Node):

    python scripts/vendor_static.py

1. ``npm ci`` in ``web-assets/`` installs the exact versions pinned in
   ``web-assets/package.json`` and locked (with integrity hashes) in
   ``web-assets/package-lock.json`` (``npm install`` when there is no lock yet);
2. the minified files listed in ``FILES`` are copied into
   ``src/django_expense_ai/static/expense_ai/vendor/``;
3. ``VENDORED.json`` and ``VENDORED.md`` there record each package's version,
   licence, the lockfile's integrity hash and each copied file's SHA-256, and
   each package's licence text is copied beside its files.

To upgrade: change the version in ``package.json``, delete the lock entry (or
run ``npm install <name>@<version> --save-exact`` in ``web-assets/``), run this
script, look at the pages, commit.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ASSETS = ROOT / "web-assets"
VENDOR = ROOT / "src" / "django_expense_ai" / "static" / "expense_ai" / "vendor"

#: package -> (file inside the npm package, name in vendor/)
FILES = {
    "htmx.org": [("dist/htmx.min.js", "htmx.min.js")],
    "chart.js": [("dist/chart.umd.min.js", "chart.umd.min.js")],
}
LICENCE_NAMES = ("LICENSE", "LICENSE.md", "LICENSE.txt", "license", "license.md")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main() -> int:
    npm = shutil.which("npm")
    if npm is None:
        print("npm is needed to vendor the static files (apt-get install npm).", file=sys.stderr)
        return 2
    command = [npm, "ci"] if (ASSETS / "package-lock.json").exists() else [npm, "install", "--save-exact"]
    subprocess.run([*command, "--no-audit", "--no-fund", "--ignore-scripts"], cwd=ASSETS, check=True)
    lock = json.loads((ASSETS / "package-lock.json").read_text())
    VENDOR.mkdir(parents=True, exist_ok=True)
    record = {}
    for package, files in FILES.items():
        folder = ASSETS / "node_modules" / package
        meta = json.loads((folder / "package.json").read_text())
        locked = lock["packages"][f"node_modules/{package}"]
        copied = {}
        for source, target in files:
            shutil.copyfile(folder / source, VENDOR / target)
            copied[target] = _sha256(VENDOR / target)
        licence_file = next((folder / n for n in LICENCE_NAMES if (folder / n).exists()), None)
        if licence_file is not None:
            shutil.copyfile(licence_file, VENDOR / f"{package}.LICENSE.txt")
        record[package] = {
            "version": meta["version"],
            "license": meta.get("license", "see the licence file"),
            "licence_file": f"{package}.LICENSE.txt" if licence_file else None,
            "resolved": locked.get("resolved"),
            "integrity": locked.get("integrity"),
            "files": copied,
        }
    (VENDOR / "VENDORED.json").write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
    lines = [
        "# Vendored browser libraries",
        "",
        "Written by `scripts/vendor_static.py` from the npm registry (exact versions, locked in",
        "`web-assets/package-lock.json`). Do not edit these files by hand; change the pin and rerun the script.",
        "",
        "| package | version | licence | files (SHA-256) |",
        "| --- | --- | --- | --- |",
    ]
    for package, info in record.items():
        files = "<br>".join(f"`{name}` {digest[:16]}…" for name, digest in info["files"].items())
        lines.append(f"| {package} | {info['version']} | {info['license']} | {files} |")
    (VENDOR / "VENDORED.md").write_text("\n".join(lines) + "\n")
    for package, info in record.items():
        print(f"{package} {info['version']} ({info['license']}): {', '.join(info['files'])}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
