"""Move statement files from another storage into the configured (private) one.

For sites upgrading from a version that kept statement files in
``STORAGES["default"]`` (usually public media): after the upgrade the rows
point at the private storage, where those files are not yet. Moving them:

* renames each file to a random name with the extension of its detected format;
* leaves out a file whose content is not a statement (the row keeps its audit
  data, its ``file`` is cleared), as uploads do now;
* deletes the source copy once the row points at the new one (unless asked to keep it);
* is idempotent: a row whose file is already in the target is left alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction

from ..conf import settings
from ..exceptions import ConfigurationError, CorruptStatement, UnsupportedFormat
from ..models import UploadedFile
from ..models.storage import configured_storage, random_stored_name, stored_suffix
from .formats.detect import detect_format

__all__ = ["MoveReport", "move_statement_files"]

#: detect_format reads no further than this.
_SNIFF_BYTES = 8192


@dataclass
class MoveReport:
    """What :func:`move_statement_files` did, by row id."""

    moved: list[int] = field(default_factory=list)
    already_there: list[int] = field(default_factory=list)
    missing: list[int] = field(default_factory=list)  # in neither storage
    refused: list[int] = field(default_factory=list)  # not a statement: not moved, row's file cleared


def move_statement_files(source_alias: str, *, keep_source: bool = False, dry_run: bool = False,
                         batch_size: int | None = None) -> MoveReport:
    """Move every stored statement file found in ``STORAGES[source_alias]`` to the configured storage.

    :param keep_source: leave the old copies where they are (delete them yourself once checked).
    :param dry_run: report what would happen; change nothing.
    :returns: a :class:`MoveReport`.
    :raises ConfigurationError: the alias is unknown, or it is the configured storage itself.
    """
    from django.core.files.storage import InvalidStorageError, storages

    try:
        source = storages[source_alias]
    except InvalidStorageError as err:
        raise ConfigurationError(f"{source_alias!r} is not a key of STORAGES.") from err
    target = configured_storage()
    if source is target:
        raise ConfigurationError(
            f"STORAGES[{source_alias!r}] is the storage statement files already go to; nothing to move."
        )
    report = MoveReport()
    size = batch_size or settings.BATCH_SIZE
    last = 0
    while True:
        batch = list(
            UploadedFile.objects.filter(pk__gt=last).exclude(file="").order_by("pk").values_list("pk", "file",
                                                                                                "filename")[:size]
        )
        if not batch:
            return report
        for pk, name, filename in batch:
            _move_one(pk, name, filename, source, target, report, keep_source=keep_source, dry_run=dry_run)
        last = batch[-1][0]


def _move_one(pk: int, name: str, filename: str, source: Any, target: Any, report: MoveReport, *,
              keep_source: bool, dry_run: bool) -> None:
    if target.exists(name):
        report.already_there.append(pk)
        return
    if not source.exists(name):
        report.missing.append(pk)
        return
    with source.open(name, "rb") as handle:
        data = handle.read()
    try:
        # The format is sniffed from the first bytes; the head alone also spares a file stored
        # before MAX_UPLOAD_BYTES was lowered.
        fmt = detect_format(data[:_SNIFF_BYTES], filename)
    except (UnsupportedFormat, CorruptStatement):
        report.refused.append(pk)
        if not dry_run:
            UploadedFile.objects.filter(pk=pk).update(file="")
            if not keep_source:
                source.delete(name)
        return
    report.moved.append(pk)
    if dry_run:
        return
    new_name = target.save(random_stored_name("statement" + stored_suffix(fmt, filename), settings.UPLOAD_PREFIX),
                           ContentFile(data))
    try:
        with transaction.atomic():
            updated = UploadedFile.objects.filter(pk=pk, file=name).update(file=new_name)
    except Exception:
        target.delete(new_name)
        raise
    if not updated:  # the row changed (deleted, reprocessed) meanwhile: leave it be
        target.delete(new_name)
        report.moved.remove(pk)
        return
    if not keep_source:
        source.delete(name)
