"""Password matching order, pattern validation, the one-default rule, success counting."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, connections, transaction
from django.utils import timezone

from django_expense_ai.admin.secrets import StatementPasswordForm
from django_expense_ai.models import Account, StatementPassword, UploadedFile
from django_expense_ai.statements.passwords import (
    base_name,
    candidate_passwords,
    passwords_to_try,
    pattern_matches,
    record_password_success,
    validate_file_pattern,
)

pytestmark = pytest.mark.django_db


def make_pw(user, *, account=None, pattern="", default=False, successes=0, last_used=None, hint=""):
    pw = StatementPassword(
        user=user,
        account=account,
        file_pattern=pattern,
        is_default=default,
        success_count=successes,
        last_used=last_used,
        password_hint=hint,
    )
    pw.set_password(f"secret-{hint or 'x'}")
    pw.save()
    return pw


@pytest.fixture
def account(user):
    return Account.objects.create(user=user, name="HDFC Savings")


@pytest.fixture
def other_account(user):
    return Account.objects.create(user=user, name="ICICI Card")


# -- matching order ----------------------------------------------------------


def test_try_order_default_then_pattern_then_global(user, account, other_account):
    now = timezone.now()
    g_never = make_pw(user, hint="g-never", successes=5)
    g_old = make_pw(user, hint="g-old", successes=5, last_used=now - timedelta(days=9))
    g_new = make_pw(user, hint="g-new", successes=5, last_used=now - timedelta(days=1))
    g_top = make_pw(user, hint="g-top", successes=9)
    default = make_pw(user, account=account, default=True, hint="default")
    p_weak = make_pw(user, account=other_account, pattern=r"hdfc_.*\.pdf", hint="p-weak", successes=1)
    p_strong = make_pw(user, pattern=r"HDFC_\d+\.PDF", hint="p-strong", successes=3)
    make_pw(user, account=other_account, pattern=r"icici_.*", hint="p-miss", successes=50)
    make_pw(user, account=account, hint="acct-plain")  # account's non-default, no pattern: not a candidate

    got = candidate_passwords(user, "/uploads/2024/HDFC_0042.pdf", account=account)

    # p_strong is also global, but appears once, in its first (pattern) group.
    assert [p.password_hint for p in got] == [
        "default", "p-strong", "p-weak", "g-top", "g-new", "g-old", "g-never",
    ]
    assert got == [default, p_strong, p_weak, g_top, g_new, g_old, g_never]


def test_the_typed_password_comes_before_every_stored_one(user, account):
    default = make_pw(user, account=account, default=True, hint="default")
    other = make_pw(user, hint="global")
    assert passwords_to_try(user, "a.pdf", account, typed=True) == [None, default, other]
    assert passwords_to_try(user, "a.pdf", account) == candidate_passwords(user, "a.pdf", account)


def test_never_used_sorts_last_on_every_database(user):
    # PostgreSQL puts NULL first in a DESC sort unless told otherwise.
    never = make_pw(user, hint="never")
    used = make_pw(user, hint="used", last_used=timezone.now())
    assert candidate_passwords(user, "x.pdf") == [used, never]


def test_without_account_the_global_default_comes_first(user, account):
    make_pw(user, hint="busy", successes=10)
    global_default = make_pw(user, default=True, hint="global-default")
    make_pw(user, account=account, default=True, hint="account-default")
    got = candidate_passwords(user, "statement.pdf")
    assert [p.password_hint for p in got] == ["global-default", "busy"]
    assert got[0] == global_default


def test_no_duplicates_when_default_also_matches_pattern(user, account):
    default = make_pw(user, account=account, default=True, pattern=r".*\.pdf")
    assert candidate_passwords(user, "a.pdf", account=account) == [default]


def test_other_users_passwords_are_never_candidates(user, other_user):
    make_pw(other_user, pattern=r".*", hint="theirs")
    make_pw(other_user, default=True, hint="theirs-default")
    assert candidate_passwords(user, "a.pdf") == []


def test_account_id_is_accepted(user, account):
    default = make_pw(user, account=account, default=True)
    assert candidate_passwords(user, "a.pdf", account=account.pk) == [default]


@pytest.mark.parametrize(
    ("pattern", "filename", "expected"),
    [
        (r"hdfc_.*\.pdf", "HDFC_2024.PDF", True),  # case-insensitive
        (r"hdfc_.*\.pdf", "/srv/media/hdfc_x.pdf", True),  # directories stripped
        (r"hdfc_.*\.pdf", r"C:\Users\me\hdfc_x.pdf", True),  # Windows paths too
        (r"hdfc", "hdfc_x.pdf", False),  # whole name, not a substring
        (r"hdfc_.*\.pdf", "hdfc_x.pdf.exe", False),
        (r"uploads/hdfc.*", "uploads/hdfc.pdf", False),  # matched against the base name only
        (r"(", "x.pdf", False),  # invalid rows stored around validation never match
        (r"(a+)+$", "a" * 40 + "!", False),  # unsafe patterns are not even run
    ],
)
def test_pattern_matches(pattern, filename, expected):
    assert pattern_matches(pattern, filename) is expected


def test_invalid_stored_pattern_is_skipped_and_logged(user, caplog):
    good = make_pw(user, account=None, hint="good")
    StatementPassword.objects.filter(pk=good.pk).update(file_pattern="(unclosed")
    with caplog.at_level("WARNING"):
        got = candidate_passwords(user, "x.pdf")
    assert got == [good]  # still a candidate as a global password, not through its pattern
    assert "file_pattern" in caplog.text


def test_base_name():
    assert base_name("a/b/c.pdf") == "c.pdf"
    assert base_name("a\\b\\c.pdf") == "c.pdf"
    assert base_name("c.pdf") == "c.pdf"
    assert base_name("") == ""


# -- pattern validation -------------------------------------------------------


@pytest.mark.parametrize("pattern", ["", r"hdfc_.*\.pdf", r"stmt_\d{4}-\d{2}\.pdf", r"(\d{2})+", r"(?:a|b)*x",
                                     r"(a{2,5})*", r"[(]+(x)+", r"(a|b+)?", r"(?:x+){1}", r"(?P<y>\d+)_[)+]+"])
def test_valid_patterns(pattern):
    validate_file_pattern(pattern)


@pytest.mark.parametrize(
    ("pattern", "code"),
    [
        ("(unclosed", "invalid_pattern"),
        ("[a-", "invalid_pattern"),
        ("*.pdf", "invalid_pattern"),  # a glob, not a regex
        ("x" * 256, "pattern_too_long"),
        ("(a+)+", "unsafe_pattern"),
        ("(.*)*x", "unsafe_pattern"),
        (r"(\w+\s?)*$", "unsafe_pattern"),
        (r"([a-z]+){2,}", "unsafe_pattern"),
        (r"((a)+b)+", "unsafe_pattern"),
        (r"(?:(?:x*)y)+?", "unsafe_pattern"),
    ],
)
def test_rejected_patterns(pattern, code):
    with pytest.raises(ValidationError) as excinfo:
        validate_file_pattern(pattern)
    assert excinfo.value.code == code


def test_full_clean_rejects_invalid_regex(user):
    pw = StatementPassword(user=user, file_pattern="*.pdf")
    pw.set_password("s")
    with pytest.raises(ValidationError) as excinfo:
        pw.full_clean()
    assert "file_pattern" in excinfo.value.message_dict
    assert "regular expression" in excinfo.value.message_dict["file_pattern"][0]


def test_full_clean_rejects_long_pattern(user):
    pw = StatementPassword(user=user, file_pattern="a" * 256)
    pw.set_password("s")
    with pytest.raises(ValidationError) as excinfo:
        pw.full_clean()
    assert "file_pattern" in excinfo.value.message_dict


def test_admin_form_uses_model_clean_for_pattern(user):
    form = StatementPasswordForm(data={"user": user.pk, "password": "pw", "file_pattern": "(unclosed"})
    assert not form.is_valid()
    assert "regular expression" in form.errors["file_pattern"][0]
    form = StatementPasswordForm(data={"user": user.pk, "password": "pw", "file_pattern": "a" * 256})
    assert not form.is_valid()
    assert "file_pattern" in form.errors


# -- one default per (user, account) -----------------------------------------


def test_full_clean_gives_friendly_message_for_second_default(user, account):
    make_pw(user, account=account, default=True)
    second = StatementPassword(user=user, account=account, is_default=True)
    second.set_password("s")
    with pytest.raises(ValidationError) as excinfo:
        second.full_clean()
    assert "already has a default password" in excinfo.value.message_dict["is_default"][0]


def test_full_clean_second_global_default(user):
    make_pw(user, default=True)
    second = StatementPassword(user=user, is_default=True)
    second.set_password("s")
    with pytest.raises(ValidationError):
        second.full_clean()


def test_admin_form_rejects_second_default(user, account):
    make_pw(user, account=account, default=True)
    form = StatementPasswordForm(
        data={"user": user.pk, "account": account.pk, "password": "pw", "is_default": "on"}
    )
    assert not form.is_valid()
    assert "already has a default password" in str(form.errors)


@pytest.mark.parametrize("with_account", [True, False], ids=["account", "global"])
def test_database_rejects_second_default(user, account, with_account):
    target = account if with_account else None
    make_pw(user, account=target, default=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        make_pw(user, account=target, default=True)
    assert StatementPassword.objects.filter(user=user, is_default=True).count() == 1


def test_database_allows_one_default_per_scope(user, other_user, account, other_account):
    make_pw(user, default=True)
    make_pw(user, account=account, default=True)
    make_pw(user, account=other_account, default=True)
    make_pw(other_user, default=True)
    # Non-defaults are unconstrained.
    make_pw(user, account=account)
    make_pw(user, account=account)
    make_pw(user)
    make_pw(user)
    assert StatementPassword.objects.filter(is_default=True).count() == 4


def test_unsetting_default_frees_the_scope(user, account):
    first = make_pw(user, account=account, default=True)
    first.is_default = False
    first.save()
    make_pw(user, account=account, default=True)


# -- record_password_success ---------------------------------------------------


def test_record_success_counts_and_marks_file(user, account):
    pw = make_pw(user, account=account, successes=2)
    upload = UploadedFile.objects.create(user=user, account=account, filename="hdfc.pdf")
    before = timezone.now()
    record_password_success(pw, upload)
    assert pw.success_count == 3
    assert pw.last_used is not None and pw.last_used >= before
    upload.refresh_from_db()
    assert upload.used_password_id == pw.pk
    assert upload.is_password_protected is True
    stored = StatementPassword.objects.get(pk=pw.pk)
    assert stored.success_count == 3


def test_record_success_without_file(user):
    pw = make_pw(user)
    record_password_success(pw)
    record_password_success(pw)
    assert StatementPassword.objects.get(pk=pw.pk).success_count == 2


def test_record_success_uses_the_database_value_not_a_stale_instance(user):
    pw = make_pw(user, successes=1)
    stale = StatementPassword.objects.get(pk=pw.pk)
    record_password_success(pw)
    record_password_success(stale)  # still thinks the count is 1
    assert StatementPassword.objects.get(pk=pw.pk).success_count == 3


def test_record_success_refuses_another_users_file(user, other_user):
    pw = make_pw(user)
    upload = UploadedFile.objects.create(user=other_user, filename="x.pdf")
    with pytest.raises(ValueError):
        record_password_success(pw, upload)
    assert StatementPassword.objects.get(pk=pw.pk).success_count == 0


THREADS = 8
CALLS_PER_THREAD = 25


@pytest.mark.django_db(transaction=True)
def test_concurrent_success_counting_loses_nothing(user):
    if connection.vendor not in ("postgresql", "mysql"):
        pytest.skip(
            f"needs a server database with concurrent connections (running on {connection.vendor}); "
            "run with EXPENSE_AI_TEST_DB=postgres"
        )
    pw = make_pw(user)
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def worker():
        try:
            mine = StatementPassword.objects.get(pk=pw.pk)  # this thread's own connection
            barrier.wait()
            for _ in range(CALLS_PER_THREAD):
                record_password_success(mine)
        except BaseException as err:  # pragma: no cover - reported below
            errors.append(err)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert StatementPassword.objects.get(pk=pw.pk).success_count == THREADS * CALLS_PER_THREAD


@pytest.mark.django_db
def test_model_clean_rejects_a_catastrophic_pattern(user):
    from django.core.exceptions import ValidationError

    from django_expense_ai.models import StatementPassword

    pw = StatementPassword(user=user, file_pattern="(a+)+$")
    pw.set_password("secret-123")
    with pytest.raises(ValidationError) as info:
        pw.full_clean()
    assert "exponential" in str(info.value)
