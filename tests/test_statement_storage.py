"""Statement files: private by default, named by their detected format, refused bytes not kept, a quota.

Real files on disk: the library's own storage under pytest's ``tmp_path``.
"""

from __future__ import annotations

import io
import os
import stat
from pathlib import Path

import pytest
from django.core.files.base import ContentFile

from django_expense_ai.exceptions import ConfigurationError, NoPublicURL
from django_expense_ai.models import StatementProcessingLog, Transaction, UploadedFile
from django_expense_ai.models.storage import (
    PrivateFileSystemStorage,
    clean_display_name,
    configured_storage,
    download_name,
    private_storage_root,
    random_stored_name,
    stored_suffix,
)
from django_expense_ai.statements import import_statement, reprocess
from django_expense_ai.statements.pipeline import storage_used

from .pdf_factory import ELF_BYTES, build_statement, encrypt_pdf, make_rows

pytestmark = pytest.mark.django_db

CSV = b"Date,Description,Amount\n2024-03-01,Coffee shop,-3.50\n2024-03-02,Salary,2500.00\n"
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>\n"
OFX = (
    b"OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\n\n<OFX><BANKMSGSRSV1><STMTTRNRS><STMTRS><CURDEF>USD"
    b"<BANKACCTFROM><BANKID>1<ACCTID>12345678<ACCTTYPE>CHECKING</BANKACCTFROM>"
    b"<BANKTRANLIST><DTSTART>20240101<DTEND>20240131"
    b"<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20240105<TRNAMT>-12.00<FITID>ABC1<NAME>Cinema</STMTTRN>"
    b"</BANKTRANLIST></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>\n"
)
RLO = "\u202e"


@pytest.fixture
def root(settings, tmp_path) -> Path:
    """The library's private storage in a fresh folder (the settings name nothing else)."""
    folder = tmp_path / "private"
    settings.EXPENSE_AI = {"PRIVATE_STORAGE_ROOT": str(folder)}
    return folder


def files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


# -- the default storage ---------------------------------------------------------


def test_default_storage_is_a_private_folder_under_base_dir(settings, tmp_path, user):
    settings.BASE_DIR = tmp_path / "project"
    settings.EXPENSE_AI = {}
    settings.MEDIA_ROOT = str(tmp_path / "project" / "media")
    uf = import_statement(user, CSV, filename="march.csv")
    assert uf.status == "completed", uf.error_message
    path = Path(uf.file.path)
    assert path.is_file() and path.read_bytes() == CSV
    assert tmp_path / "project" / "expense_ai_private" in path.parents
    assert Path(settings.MEDIA_ROOT) not in path.parents
    assert isinstance(configured_storage(), PrivateFileSystemStorage)


def test_private_files_have_no_url_and_only_the_owner_may_read_them(root, user):
    uf = import_statement(user, CSV, filename="march.csv")
    with pytest.raises(NoPublicURL, match="statement_download"):
        _ = uf.file.url
    assert configured_storage().base_url is None
    path = Path(uf.file.path)
    assert root in path.parents
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700


def test_private_root_comes_from_the_setting(root, user):
    uf = import_statement(user, CSV, filename="march.csv")
    assert files_under(root) == [Path(uf.file.path)]


def test_no_base_dir_and_no_root_stores_nothing_and_says_what_to_set(settings, user, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    del settings.BASE_DIR
    settings.EXPENSE_AI = {}
    with pytest.raises(ConfigurationError, match="PRIVATE_STORAGE_ROOT"):
        private_storage_root()
    uf = import_statement(user, CSV, filename="march.csv")
    assert uf.status == "failed" and uf.error_stage == "upload"
    assert "PRIVATE_STORAGE_ROOT" in uf.error_message
    assert not uf.file and not Transaction.objects.exists()
    assert files_under(tmp_path) == []  # never the working directory


def test_a_relative_root_is_refused(settings):
    settings.EXPENSE_AI = {"PRIVATE_STORAGE_ROOT": "private-statements"}
    with pytest.raises(ConfigurationError, match="relative path"):
        configured_storage()


def test_a_host_storage_alias_is_used_instead(settings, root, user):
    settings.STORAGES = {
        **settings.STORAGES,
        "statements": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    settings.EXPENSE_AI = {"STORAGE_ALIAS": "statements", "PRIVATE_STORAGE_ROOT": str(root)}
    from django.core.files.storage import storages

    uf = import_statement(user, CSV, filename="march.csv")
    assert uf.status == "completed", uf.error_message
    assert storages["statements"].exists(uf.file.name)
    assert files_under(root) == []


def test_an_unknown_alias_is_a_configuration_error(settings):
    settings.EXPENSE_AI = {"STORAGE_ALIAS": "nope"}
    with pytest.raises(ConfigurationError, match="'nope'"):
        configured_storage()


def test_the_storage_follows_the_settings_at_each_call(settings, tmp_path, user):
    settings.EXPENSE_AI = {"PRIVATE_STORAGE_ROOT": str(tmp_path / "one")}
    first = import_statement(user, CSV, filename="a.csv")
    settings.EXPENSE_AI = {"PRIVATE_STORAGE_ROOT": str(tmp_path / "two")}
    second = import_statement(user, CSV.replace(b"3.50", b"4.50"), filename="b.csv")
    assert [p.parent.parent.parent.name for p in files_under(tmp_path)] == ["one", "two"]
    assert Path(second.file.path).read_bytes().count(b"4.50") == 1
    assert first.file.name != second.file.name


# -- stored names and display names ------------------------------------------------


@pytest.mark.parametrize(
    ("data", "filename", "suffix"),
    [
        (CSV, "evil.html", ".csv"),
        (CSV, "statement.exe", ".csv"),
        (OFX, "bank.qfx", ".qfx"),
        (OFX, "bank.txt", ".ofx"),
        (build_statement(make_rows(3)), f"statement{RLO}fdp.exe", ".pdf"),
    ],
    ids=["html-name", "exe-name", "qfx", "ofx", "bidi-exe"],
)
def test_stored_extension_is_the_detected_formats(root, user, data, filename, suffix):
    uf = import_statement(user, data, filename=filename)
    assert uf.status == "completed", uf.error_message
    stored = Path(uf.file.name)
    assert stored.suffix == suffix
    assert stored.stem not in filename and len(stored.stem) >= 30
    assert [p.suffix for p in files_under(root)] == [suffix]
    assert uf.processing_logs.get(processing_stage="upload").details["stored_as"] == uf.file.name


def test_stored_suffix_rules():
    assert [stored_suffix(f) for f in ("pdf", "csv", "ofx")] == [".pdf", ".csv", ".ofx"]
    assert stored_suffix("ofx", "Bank.QFX") == ".qfx"
    assert stored_suffix("csv", "x.qfx") == ".csv"
    with pytest.raises(ValueError):
        stored_suffix("html", "evil.html")


def test_upload_to_keeps_only_an_allowed_extension():
    assert random_stored_name("x.PDF", "p").endswith(".pdf")
    for name in ("evil.html", "a.exe", "noext", f"statement{RLO}fdp.exe"):
        stored = random_stored_name(name, "p")
        assert stored.startswith("p/") and "." not in stored


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        (f"statement{RLO}fdp.exe", "statementfdp.exe"),
        ("a\u202ab\u202bc\u202cd\u202de\u2066f\u2067g\u2068h\u2069i\u200ej\u200fk\u061cl.pdf", "abcdefghijkl.pdf"),
        ("line\nbreak\r\tand\x00nul\x1b[31m.csv", "line break andnul[31m.csv"),
        ("zero\u200bwidth\ufeff.csv", "zerowidth.csv"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\me\\March.pdf", "March.pdf"),
        ("  spaced   out  .pdf ", "spaced out .pdf"),
        ("\u202e\u0000", "statement"),
        ("Relevé März 2024 — 日本.pdf", "Relevé März 2024 — 日本.pdf"),
    ],
)
def test_display_names_lose_control_and_bidi_characters(raw, clean):
    assert clean_display_name(raw) == clean


def test_long_display_names_keep_their_extension():
    name = clean_display_name("x" * 400 + ".pdf")
    assert len(name) == 255 and name.endswith(".pdf")


def test_filename_is_cleaned_on_every_save(root, user):
    uf = import_statement(user, CSV, filename=f"march{RLO}vsc.exe")
    uf.refresh_from_db()
    assert uf.filename == "marchvsc.exe"
    uf.filename = "edited\u2067 in the admin\x07.csv"
    uf.save()
    uf.refresh_from_db()
    assert uf.filename == "edited in the admin.csv"


def test_download_name_is_clean_and_ends_in_the_stored_extension(root, user, client):
    uf = import_statement(user, build_statement(make_rows(3)), filename=f"statement{RLO}fdp.exe")
    client.force_login(user)
    response = client.get(f"/expense-ai/statements/{uf.pk}/download/")
    assert response.status_code == 200
    disposition = response["Content-Disposition"]
    assert RLO not in disposition and "%E2%80%AE" not in disposition.upper()
    assert 'filename="statementfdp.exe.pdf"' in disposition
    assert download_name("march.csv", "x/abc.csv") == "march.csv"
    assert download_name("evil.html", "x/abc.csv") == "evil.html.csv"


# -- refused files --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "filename", "words"),
    [(HTML, "statement.html", "web page"), (ELF_BYTES, "statement.pdf", "executable"), (b"", "e.csv", "empty")],
    ids=["html", "elf-renamed-pdf", "empty"],
)
def test_refused_files_keep_their_row_and_logs_but_not_their_bytes(root, user, data, filename, words):
    uf = import_statement(user, data, filename=filename)
    assert uf.status == "failed" and uf.error_stage == "upload"
    assert words in uf.error_message.lower()
    uf.refresh_from_db()
    assert not uf.file
    assert files_under(root) == []
    logs = StatementProcessingLog.objects.filter(uploaded_file=uf)
    assert logs.get(processing_stage="upload").status == "failed"
    assert logs.count() == 9  # every stage is still told, for the audit
    assert uf.sha256 and uf.size == len(data)


def test_a_refused_legacy_file_loses_its_bytes_on_reprocess(root, user, django_capture_on_commit_callbacks):
    # Stored by an older version under the user's extension, before formats were checked at upload.
    uf = UploadedFile.objects.create(user=user, filename="page.html", size=len(HTML), status="failed")
    uf.file.save("page.html", ContentFile(HTML), save=True)
    legacy = Path(uf.file.path)
    assert legacy.is_file() and legacy.suffix == ""  # upload_to already refuses .html
    with django_capture_on_commit_callbacks(execute=True):
        reprocess(uf)
    uf.refresh_from_db()
    assert uf.status == "failed" and uf.error_stage == "upload"
    assert not uf.file and not legacy.exists()
    assert files_under(root) == []


def test_a_legacy_file_under_a_wrong_extension_is_stored_again_properly(
    root, user, django_capture_on_commit_callbacks
):
    from django_expense_ai.models import statements as statement_models

    uf = UploadedFile.objects.create(user=user, filename="march.exe", size=len(CSV), status="failed")
    # What the old upload_to wrote: the user's extension.
    name = statement_models.statement_storage().save("expense_ai/statements/oldtoken.exe", ContentFile(CSV))
    UploadedFile.objects.filter(pk=uf.pk).update(file=name)
    uf.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        uf = reprocess(uf)
    assert uf.status == "completed", uf.error_message
    uf.refresh_from_db()
    assert uf.file.name.endswith(".csv") and "oldtoken" not in uf.file.name
    assert [p.suffix for p in files_under(root)] == [".csv"]


def test_a_file_that_fails_later_keeps_its_bytes_for_a_reprocess(root, user):
    data = encrypt_pdf(build_statement(make_rows(4)), "secret-pw")
    uf = import_statement(user, data, filename="locked.pdf")
    assert uf.status == "failed" and uf.error_stage == "password_decrypt"
    assert Path(uf.file.path).read_bytes() == data
    uf = reprocess(uf, password="secret-pw")
    assert uf.status == "completed", uf.error_message


# -- the quota ------------------------------------------------------------------------


def test_an_upload_past_the_quota_is_refused_with_a_typed_error(settings, root, user, other_user):
    settings.EXPENSE_AI = {"PRIVATE_STORAGE_ROOT": str(root), "MAX_STORAGE_BYTES_PER_USER": len(CSV) * 2}
    assert import_statement(user, CSV, filename="1.csv").status == "completed"
    second = CSV.replace(b"3.50", b"4.50")
    assert import_statement(user, second, filename="2.csv").status == "completed"
    assert storage_used(user) == 2 * len(CSV)
    third = import_statement(user, CSV.replace(b"3.50", b"5.50"), filename="3.csv")
    assert third.status == "failed" and third.error_stage == "upload"
    assert "MAX_STORAGE_BYTES_PER_USER" in third.error_message and "'3.csv'" in third.error_message
    log = third.processing_logs.get(processing_stage="upload")
    assert log.details["error"] == "StorageQuotaExceeded"
    assert not third.file and len(files_under(root)) == 2
    assert storage_used(user) == 2 * len(CSV)
    # Another user's quota is their own.
    assert import_statement(other_user, CSV, filename="1.csv").status == "completed"


def test_refused_and_deleted_files_do_not_count(settings, root, user, django_capture_on_commit_callbacks):
    settings.EXPENSE_AI = {"PRIVATE_STORAGE_ROOT": str(root), "MAX_STORAGE_BYTES_PER_USER": len(CSV) + 10}
    for _ in range(3):
        assert import_statement(user, HTML * 50, filename="x.html").status == "failed"
    assert storage_used(user) == 0
    kept = import_statement(user, CSV, filename="1.csv")
    assert kept.status == "completed"
    refused = import_statement(user, CSV.replace(b"3.50", b"4.50"), filename="2.csv")
    assert refused.status == "failed" and "MAX_STORAGE_BYTES_PER_USER" in refused.error_message
    with django_capture_on_commit_callbacks(execute=True):
        kept.delete()
    assert storage_used(user) == 0 and files_under(root) == []
    assert import_statement(user, CSV.replace(b"3.50", b"4.50"), filename="2.csv").status == "completed"


def test_a_reprocess_does_not_count_the_file_twice(settings, root, user):
    settings.EXPENSE_AI = {"PRIVATE_STORAGE_ROOT": str(root), "MAX_STORAGE_BYTES_PER_USER": len(CSV)}
    uf = import_statement(user, CSV, filename="1.csv")
    assert uf.status == "completed"
    assert reprocess(uf).status == "completed"


@pytest.mark.parametrize("quota", [None, 0])
def test_no_quota(settings, root, user, quota):
    settings.EXPENSE_AI = {"PRIVATE_STORAGE_ROOT": str(root), "MAX_STORAGE_BYTES_PER_USER": quota}
    for amount in ("1.00", "2.00", "3.00"):
        assert import_statement(user, CSV.replace(b"3.50", amount.encode())).status == "completed"


def test_default_quota_is_generous_but_finite():
    from django_expense_ai.conf import DEFAULTS

    assert DEFAULTS["MAX_STORAGE_BYTES_PER_USER"] >= 20 * DEFAULTS["MAX_UPLOAD_BYTES"]


# -- moving files from the old default storage -------------------------------------------


@pytest.fixture
def old_media(settings, tmp_path, root) -> Path:
    """The pre-upgrade set-up: files in a public FileSystemStorage ("default" under MEDIA_ROOT)."""
    media = tmp_path / "media"
    settings.MEDIA_ROOT = str(media)
    settings.STORAGES = {**settings.STORAGES,
                         "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}
    return media


def _legacy_row(user, data: bytes, stored_as: str, filename: str) -> UploadedFile:
    from django.core.files.storage import storages

    name = storages["default"].save(stored_as, ContentFile(data))
    uf = UploadedFile.objects.create(user=user, filename=filename, size=len(data), status="completed")
    UploadedFile.objects.filter(pk=uf.pk).update(file=name)
    uf.refresh_from_db()
    return uf


def test_move_command_brings_old_files_into_the_private_storage(old_media, root, user, client):
    from django.core.management import call_command

    good = _legacy_row(user, CSV, "expense_ai/statements/tok1.exe", "march.exe")
    bad = _legacy_row(user, HTML, "expense_ai/statements/tok2.html", "page.html")
    lost = UploadedFile.objects.create(user=user, filename="gone.csv", size=3, status="completed")
    UploadedFile.objects.filter(pk=lost.pk).update(file="expense_ai/statements/gone.csv")

    out = io.StringIO()
    call_command("expense_ai_move_statements", "--from", "default", "--dry-run", stdout=out)
    assert "1 would move" in out.getvalue() and len(files_under(old_media)) == 2 and files_under(root) == []

    out = io.StringIO()
    call_command("expense_ai_move_statements", "--from", "default", stdout=out)
    assert "1 moved" in out.getvalue() and f"missing: file ids {lost.pk}" in out.getvalue()
    assert f"not statements: file ids {bad.pk}" in out.getvalue()
    good.refresh_from_db()
    bad.refresh_from_db()
    assert Path(good.file.path).read_bytes() == CSV and good.file.name.endswith(".csv")
    assert root in Path(good.file.path).parents
    assert not bad.file and bad.filename == "page.html"
    assert files_under(old_media) == []  # moved, and the refused page deleted
    client.force_login(user)
    response = client.get(f"/expense-ai/statements/{good.pk}/download/")
    assert b"".join(response.streaming_content) == CSV

    out = io.StringIO()
    call_command("expense_ai_move_statements", "--from", "default", stdout=out)
    assert out.getvalue().startswith("0 moved, 1 already in place")


def test_move_command_can_copy_and_refuses_nonsense(old_media, root, user):
    from django.core.management import CommandError, call_command

    good = _legacy_row(user, CSV, "expense_ai/statements/tok1.csv", "march.csv")
    call_command("expense_ai_move_statements", "--from", "default", "--keep-source", stdout=io.StringIO())
    good.refresh_from_db()
    assert len(files_under(old_media)) == 1 and root in Path(good.file.path).parents
    with pytest.raises(CommandError, match="'nope'"):
        call_command("expense_ai_move_statements", "--from", "nope")


def test_move_command_will_not_move_a_storage_onto_itself(settings, old_media):
    from django.core.management import CommandError, call_command

    settings.EXPENSE_AI = {"STORAGE_ALIAS": "default"}
    with pytest.raises(CommandError, match="already go to"):
        call_command("expense_ai_move_statements", "--from", "default")


@pytest.mark.django_db(transaction=True)
def test_uploads_at_once_cannot_all_slip_under_the_quota(settings, root, user):
    import threading

    from django.db import connection, connections

    if connection.vendor == "sqlite":
        pytest.skip("in-memory SQLite gives each thread its own empty database; run on PostgreSQL/MariaDB")
    settings.EXPENSE_AI = {"PRIVATE_STORAGE_ROOT": str(root), "MAX_STORAGE_BYTES_PER_USER": len(CSV) + 10}
    start = threading.Barrier(4)
    results: list = []

    def worker(index: int) -> None:
        try:
            start.wait(timeout=30)
            results.append(import_statement(user, CSV.replace(b"3.50", f"{index}.50".encode()), filename=f"{index}.csv"))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    assert sorted(uf.status for uf in results) == ["completed", "failed", "failed", "failed"]
    assert len(files_under(root)) == 1 and storage_used(user) == len(CSV)


def test_the_stand_in_forwards_every_public_storage_method():
    """A method Django adds to Storage must be forwarded too, or it would act on the stand-in itself."""
    import inspect

    from django.core.files.storage import Storage

    from django_expense_ai.models.storage import StatementStorage

    public = {name for name, _ in inspect.getmembers(Storage, inspect.isfunction) if not name.startswith("_")}
    missing = {name for name in public if name not in vars(StatementStorage)}
    assert missing == set()
