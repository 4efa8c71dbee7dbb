"""Browser tests: Playwright for Python driving Debian's Chromium against a live server.

* The browser is ``/usr/bin/chromium`` (the Debian package; ``scripts/_env.sh``
  installs it). Browser builds cannot be downloaded here, so ``playwright
  install`` is never run: Playwright is pointed at the system binary.
* The server is pytest-django's ``live_server`` on 127.0.0.1, over a
  transactional database; these tests run on PostgreSQL only (the test
  command's postgres pass) and skip, saying so, on the other databases.
* Playwright's sync API marks an event loop as running in the test thread, so
  Django's "async unsafe" guard (``DJANGO_ALLOW_ASYNC_UNSAFE``) is turned off
  while the browser is open, for this module only: the ORM calls the tests
  make are ordinary synchronous calls, and the rest of the suite keeps the guard.
* Accessibility: ``axe.min.js`` from the npm package ``axe-core`` (pinned by
  ``package-lock.json``, installed by ``npm ci``) is injected into each page.
* Screenshots go to ``tests/browser/artifacts/`` (git-ignored).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("DJANGO_LIVE_TEST_SERVER_ADDRESS", "127.0.0.1")

HERE = Path(__file__).resolve().parent
CHROMIUM = Path(os.environ.get("EXPENSE_AI_CHROMIUM", "/usr/bin/chromium"))
AXE_JS = HERE / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = HERE / "artifacts"

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 740}

#: Impacts that fail a page; "minor" and "moderate" findings are reported in the artefacts only.
BLOCKING_IMPACTS = ("serious", "critical")


def _why_not_runnable() -> str | None:
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"]
    if "postgresql" not in engine:
        return (f"browser tests run on PostgreSQL (the test command's postgres pass); this run uses {engine}. "
                "Set EXPENSE_AI_TEST_DB=postgres.")
    if not CHROMIUM.exists():
        return f"no Chromium at {CHROMIUM}: `apt-get install chromium` (scripts/test.sh does)."
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "Playwright is not installed: pip install -e '.[dev]'."
    if not AXE_JS.exists():
        return f"axe-core is not installed at {AXE_JS}: `npm ci --prefix tests/browser` (scripts/test.sh does)."
    return None


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    reason = None
    checked = False
    for item in items:
        if HERE not in Path(str(item.fspath)).resolve().parents:
            continue
        item.add_marker(pytest.mark.browser)
        if not checked:
            reason, checked = _why_not_runnable(), True
        if reason:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One Chromium per test module (a fresh context per test keeps tests apart)."""
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


class Session:
    """A logged-in browser context at one viewport, with helpers the scenarios share."""

    def __init__(self, browser: Any, base_url: str, user: Any, viewport: dict[str, int], label: str):
        from django.conf import settings
        from django.test import Client

        client = Client()
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        self.context = browser.new_context(viewport=viewport, base_url=base_url, locale="en-US")
        self.context.set_default_timeout(15_000)
        self.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value,
                                   "url": base_url}])
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda err: self.errors.append(f"page error: {err}"))
        # A static file or partial that fails to load is an error; the browser's own
        # favicon request (no host page names one) is not.
        self.page.on("response", lambda r: self.errors.append(f"HTTP {r.status} for {r.url}")
                     if (r.status >= 500 or (r.status == 404 and "/static/" in r.url)) else None)
        self.label = label
        self.base_url = base_url

    def goto(self, path: str) -> Any:
        response = self.page.goto(path)
        self.page.wait_for_load_state("load")
        return response

    def screenshot(self, name: str) -> Path:
        """Write ``artifacts/<name>-<label>.png`` (the whole page) and return its path."""
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{slug(name)}-{self.label}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def axe(self, name: str, *, exclude: tuple[str, ...] = ()) -> list[dict[str, Any]]:
        """Run axe-core on the current page; write all findings to the artefacts.

        :param exclude: CSS selectors of parts not checked (each use says why).
        :returns: the serious and critical violations (empty when the page passes).
        """
        if not self.page.evaluate("() => typeof window.axe !== 'undefined'"):
            self.page.add_script_tag(path=str(AXE_JS))
        result = self.page.evaluate(
            "async (exclude) => { const context = exclude.length ?"
            " {include: [document], exclude: exclude.map(s => [s])} : document;"
            " const r = await axe.run(context, {resultTypes: ['violations']});"
            " return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
            " nodes: v.nodes.map(n => ({target: n.target.join(' '), html: n.html.slice(0, 200)}))})); }",
            list(exclude),
        )
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / f"{slug(name)}-{self.label}.axe.json").write_text(json.dumps(result, indent=2))
        return [v for v in result if v["impact"] in BLOCKING_IMPACTS]

    def close(self) -> None:
        self.context.close()


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def describe(violations: list[dict[str, Any]]) -> str:
    """Violations as lines a developer can act on."""
    lines = []
    for v in violations:
        targets = "; ".join(n["target"] for n in v["nodes"][:5])
        lines.append(f"{v['impact']}: {v['id']} ({v['help']}) at {targets}")
    return "\n".join(lines)


@pytest.fixture
def open_session(browser: Any, live_server: Any) -> Iterator[Any]:
    """``open_session(user, phone=False)``: a logged-in context; closed after the test."""
    sessions: list[Session] = []

    def _open(user: Any, *, phone: bool = False) -> Session:
        label = "phone" if phone else "desktop"
        session = Session(browser, live_server.url, user, PHONE if phone else DESKTOP, label)
        sessions.append(session)
        return session

    yield _open
    for session in sessions:
        session.close()
