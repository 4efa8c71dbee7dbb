"""Schemathesis against the live REST API: every operation of the schema
drf-spectacular generates from the code now, called through Django's own WSGI
application as a signed-in user who has data, with a bounded number of
generated requests each.

Checks on every response: no server error (500), a status code the schema
documents for the operation, a documented content type, and a body that
validates against the documented schema. The committed ``schema/openapi.yaml``
is this same schema (``tests/test_api_schema.py`` fails when it is stale), so a
TypeScript client built on it is checked against the running code here.

Bounds: ``MAX_EXAMPLES`` generated requests per operation and phase, positive
and negative data, no stateful phase; ``EXPENSE_AI_SCHEMATHESIS_EXAMPLES``
raises it for a deeper local run.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import zlib

import pytest

for _module, _why in (
    ("schemathesis", "schemathesis is not installed (the dev extra installs it on Python 3.11+)"),
    ("rest_framework", "Django REST framework is not installed (the [api] extra)"),
    ("drf_spectacular", "drf-spectacular is not installed (the [api] extra)"),
    ("django_expense_ai.api", "django_expense_ai.api is not in this checkout"),
):
    if importlib.util.find_spec(_module) is None:
        pytest.skip(_why, allow_module_level=True)

import schemathesis  # noqa: E402
from hypothesis import HealthCheck  # noqa: E402
from hypothesis import settings as hypothesis_settings  # noqa: E402
from schemathesis.config import SchemathesisConfig  # noqa: E402

pytestmark = [pytest.mark.django_db, pytest.mark.schemathesis]

MAX_EXAMPLES = int(os.environ.get("EXPENSE_AI_SCHEMATHESIS_EXAMPLES", "6"))
#: The checks run on every response; schemathesis's others stay off.
CHECKS = ("not_a_server_error", "status_code_conformance", "content_type_conformance",
          "response_schema_conformance")
#: A fixed CSRF secret sent as cookie and header, as a browser front end does
#: with session authentication (the schema's ``cookieAuth``).
CSRF_SECRET = "schemathesisCsrfSecret0123456789"  # 32 characters, the length of a CSRF secret
#: The first path parameter and the collection above it: ``/…/groups/{id}/members/`` -> ``/…/groups/``.
PATH_ID = re.compile(r"^(?P<collection>[^{]*/)\{(?P<name>[^}]+)\}/")

STATEMENT_CSV = (
    b"Date,Description,Amount\n"
    b"2026-03-01,Coffee shop,-3.50\n"
    b"2026-03-02,Salary,2500.00\n"
    b"2026-03-03,Groceries,-54.20\n"
)


def live_schema():
    """The schema drf-spectacular builds from the code now, bound to Django's WSGI app.

    Built at collection (pytest-django has set Django up by then; no database
    is touched): schemathesis's lazy ``from_fixture`` loader does not run on
    pytest 9."""
    from django.core.wsgi import get_wsgi_application
    from drf_spectacular.generators import SchemaGenerator

    document = SchemaGenerator().get_schema(request=None, public=True)
    config = SchemathesisConfig.from_dict(
        {
            # The session below is the only credential: no generated Authorization header.
            "generation": {
                "max-examples": MAX_EXAMPLES,
                "mode": "all",
                "deterministic": True,
                "with-security-parameters": False,
            },
            "phases": {"stateful": {"enabled": False}},
            "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
        }
    )
    schema = schemathesis.openapi.from_dict(_plain(document), config=config)
    schema.app = get_wsgi_application()
    return schema


def _plain(value):
    """drf-spectacular's document as plain JSON types (it holds lazy strings and ordered dicts)."""
    from django.core.serializers.json import DjangoJSONEncoder

    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


@pytest.fixture
def in_process_requests():
    """Keep the test's database connection across in-process requests.

    Django's WSGI handler closes "old" connections when a request starts and
    ends; inside the test's transaction that would drop it. Django's own test
    client disconnects the same receivers while it calls the app.
    """
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def signed_in(user, other_user, settings, in_process_requests):
    """Alice, signed in with a real session, owning an account, an imported
    statement, chat entries (one split with Bob, who shares a group with her);
    Bob owns data of his own that Alice's requests must never reach."""
    from django.test import Client

    from django_expense_ai.chat.services import submit_message
    from django_expense_ai.models import Account, Group, GroupMember
    from django_expense_ai.statements import import_statement

    settings.ALLOWED_HOSTS = ["localhost", "testserver"]
    for owner in (user, other_user):
        account = Account.objects.create(user=owner, name="Current", currency="USD", is_default=True)
        import_statement(owner, STATEMENT_CSV, filename="march.csv", account=account)
        submit_message(owner, "$12.50 coffee at blue bottle")
    group = Group.objects.create(name="Flat", created_by=user)
    GroupMember.objects.create(group=group, user=user)
    GroupMember.objects.create(group=group, user=other_user)
    submit_message(user, "@bob $60 groceries")

    client = Client()
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    return {
        "cookies": {settings.SESSION_COOKIE_NAME: session, settings.CSRF_COOKIE_NAME: CSRF_SECRET},
        "headers": {"X-CSRFToken": CSRF_SECRET},
        "ids": {},  # collection path -> the ids the API lists there (filled on first use)
    }


def _own_ids(collection: str, signed_in) -> list:
    """Ids the API itself lists for the signed-in user at ``collection``
    (called through the same WSGI app; a plain list or a page's ``results``)."""
    try:
        listing = schema[collection]["GET"]
    except LookupError:  # no list operation at that path
        return []
    response = listing.Case().call(headers=signed_in["headers"], cookies=signed_in["cookies"])
    if response.status_code != 200 or "json" not in response.headers.get("content-type", [""])[0]:
        return []
    body = response.json()
    rows = body.get("results", []) if isinstance(body, dict) else body
    return [row["id"] for row in rows if isinstance(row, dict) and "id" in row]


schema = live_schema()


@schema.parametrize()
# The signed-in user and her data are set up once per operation, on purpose:
# the requests of one operation share them (and what earlier requests changed)
# inside the test's transaction, rolled back after. No deadline: timings vary
# with the machine's load, and a check on time would be a flaky test.
@hypothesis_settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
def test_api_conforms_to_its_schema(case, signed_in):
    # Half of the requests with an id in the path name one of the user's own
    # rows (the rest keep the generated id, mostly a 404), so detail, update
    # and delete operations answer with data, not only "not found".
    match = PATH_ID.match(case.path)
    if match and case.path_parameters:
        name = match["name"]
        generated = case.path_parameters.get(name)
        cache = signed_in["ids"]
        if match["collection"] not in cache:
            cache[match["collection"]] = _own_ids(match["collection"], signed_in)
        own = cache[match["collection"]]
        if own and zlib.crc32(repr(generated).encode()) % 2 == 0:
            case.path_parameters[name] = own[zlib.crc32(repr(generated).encode()) % len(own)]
    case.call_and_validate(headers=signed_in["headers"], cookies=signed_in["cookies"])


def test_the_run_is_signed_in_and_sees_her_data(signed_in):
    """Guard for the run above: its requests are authenticated, pass CSRF on a
    write, and see Alice's rows and none of Bob's (a run answered only with
    401/403 would conform to the schema and prove nothing)."""
    listing = schema["/api/expense-ai/transactions/"]["GET"].Case()
    response = listing.call(headers=signed_in["headers"], cookies=signed_in["cookies"])
    assert response.status_code == 200, response.text
    rows = response.json()["results"]
    assert {"coffee at blue bottle", "Coffee shop"} <= {row["description"] for row in rows}
    from django_expense_ai.models import Transaction

    bobs = set(Transaction.objects.filter(user__username="bob").values_list("pk", flat=True))
    assert bobs and not bobs & {row["id"] for row in rows}

    chat = schema["/api/expense-ai/chat/messages/"]["POST"].Case(
        body={"text": "$4.20 tea"}, media_type="application/json"
    )
    response = chat.call(headers=signed_in["headers"], cookies=signed_in["cookies"])
    assert response.status_code == 201, response.text
    anonymous = chat.call()
    assert anonymous.status_code in (401, 403)
