"""The TypeScript client example (``clients/typescript/client.ts``) works against
the running API, not only under ``tsc``: compiled with the pinned TypeScript and
run by Node.js against a live server, as a signed-in user (session cookie and
CSRF token, as in a browser), it posts a chat message, lists transactions,
uploads a CSV statement, reads its review and commits it (typed), and gets a typed problem for another user's row.

Needs Node.js and the npm packages that ``bash scripts/schema.sh --check`` (run
by the test command before pytest) installs.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CLIENT = ROOT / "clients" / "typescript"
TSC = CLIENT / "node_modules" / ".bin" / "tsc"

if importlib.util.find_spec("django_expense_ai.api") is None:
    pytest.skip("django_expense_ai.api is not in this checkout", allow_module_level=True)

SMOKE = """
import { ApiError, ExpenseAIClient } from "./client.js";

declare const process: { argv: string[] }; // Node's, without @types/node

const [base, session, csrf, strangerId] = process.argv.slice(2) as [string, string, string, string];
// A browser sends its cookies itself; Node's fetch is given them here.
const withCookies: typeof fetch = (input, init = {}) => {
  const headers = new Headers(init.headers);
  headers.set("Cookie", `sessionid=${session}; csrftoken=${csrf}`);
  return fetch(input, { ...init, headers });
};
const api = new ExpenseAIClient(base, { csrfToken: csrf, fetch: withCookies });

const chat = await api.postChatMessage("$7.25 lunch at the deli");
const page = await api.listTransactions({ page_size: 10 });
const csv = new Blob(["Date,Description,Amount\\n2026-03-05,Bookshop,-18.40\\n"], { type: "text/csv" });
const upload = await api.uploadStatement(csv, "march.csv");  // stops for review (REVIEW_UPLOADS)
const id = String(upload.id);
const review = await api.call("get", "/api/expense-ai/statements/{id}/review/", { path: { id } });
const done = await api.call("post", "/api/expense-ai/statements/{id}/review/commit/", { path: { id }, json: {} });
let problem: [number, string | undefined] | null = null;
try {
  await api.call("get", "/api/expense-ai/transactions/{id}/", { path: { id: strangerId } });
} catch (error) {
  if (error instanceof ApiError) problem = [error.status, error.code];
}
console.log(JSON.stringify({
  reply: chat.reply.content,
  rows: page.results.map((row) => [row.description, row.amount]),
  held: upload.status,
  verdicts: review.rows.map((row) => row.verdict),
  created: done.created_transactions.length,
  problem,
}));
"""


@pytest.fixture
def compiled(tmp_path) -> Path:
    """client.ts, api.d.ts and the smoke script compiled to ES modules by the pinned tsc."""
    if shutil.which("node") is None:
        pytest.skip("Node.js is not installed (bash scripts/test.sh installs Debian's nodejs)")
    if not TSC.exists():
        pytest.skip("the npm packages are not installed: run bash scripts/schema.sh --check once")
    for name in ("client.ts", "api.d.ts"):
        shutil.copy(CLIENT / name, tmp_path / name)
    (tmp_path / "smoke.ts").write_text(SMOKE, encoding="utf-8")
    (tmp_path / "package.json").write_text('{"type": "module"}', encoding="utf-8")
    build = subprocess.run(
        [str(TSC), "--strict", "--target", "ES2022", "--module", "ESNext", "--moduleResolution", "Bundler",
         "--lib", "ES2022,DOM,DOM.Iterable",
         "--outDir", str(tmp_path / "out"), str(tmp_path / "smoke.ts")],
        cwd=tmp_path, capture_output=True, text=True,
    )
    assert build.returncode == 0, build.stdout + build.stderr
    return tmp_path / "out"


@pytest.fixture
def server_url(transactional_db, settings):
    """Django's WSGI app served on 127.0.0.1 from a thread (committed data: the
    server's connection is its own). pytest-django's live_server is not used:
    its static files handler needs a STATIC_URL the test settings do not set."""
    import threading
    from wsgiref.simple_server import WSGIRequestHandler, make_server

    from django.core.wsgi import get_wsgi_application

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, *args):  # the test reports what matters
            pass

    settings.ALLOWED_HOSTS = ["127.0.0.1"]
    httpd = make_server("127.0.0.1", 0, get_wsgi_application(), handler_class=QuietHandler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=10)


@pytest.mark.django_db(transaction=True)
def test_client_example_against_a_live_server(compiled, server_url, user, other_user, settings):
    from django.test import Client

    from django_expense_ai.chat.services import submit_message
    from django_expense_ai.models import Transaction

    submit_message(other_user, "$9.99 cinema")
    stranger = Transaction.objects.get(user=other_user)
    browser = Client()
    browser.force_login(user)
    session = browser.cookies[settings.SESSION_COOKIE_NAME].value
    csrf = "clientExampleCsrfSecret012345678"  # 32 characters, the length of a CSRF secret

    run = subprocess.run(
        ["node", str(compiled / "smoke.js"), server_url, session, csrf, str(stranger.pk)],
        capture_output=True, text=True, timeout=120,
    )
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert "lunch at the deli" in out["reply"]
    assert ["lunch at the deli", "-7.25"] in out["rows"]  # money stays a decimal string
    assert out["held"] == "awaiting_review" and out["verdicts"] == ["new"]
    assert out["created"] == 1
    status, code = out["problem"]  # another user's row: a 404 problem with a stable code, never a 403
    assert status == 404 and code
    assert Transaction.objects.filter(user=user, description="Bookshop", amount="-18.40").exists()
