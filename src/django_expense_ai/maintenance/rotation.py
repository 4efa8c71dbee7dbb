"""Key rotation: re-encrypt every stored secret with the newest key.

The secrets are ``StatementPassword.encrypted_password`` and the three API-key
columns of the *active* AISettings model (a host may swap it, see
:mod:`django_expense_ai.models.swappable`). :func:`rotate_secrets` walks each table
in primary-key order (keyset pagination, ``EXPENSE_AI["BATCH_SIZE"]`` rows a
batch, one transaction a batch) and

* skips a token already on the newest key (:func:`crypto.is_current`), so a
  second run rotates nothing and an interrupted run is finished by simply
  running it again;
* re-encrypts any other token a configured key can read;
* leaves a token no configured key can read untouched and reports its row id.

Plaintext exists only in memory, inside :func:`crypto.rotate`; neither the
report, the output nor the log ever carries a secret or a token.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.db import connections, models, router, transaction

from .. import crypto
from ..conf import settings
from ..exceptions import DecryptionError, InvalidArgument

logger = logging.getLogger(__name__)

#: The AISettings columns that hold API keys, when the model does not say.
AI_KEY_FIELDS = ("openai_api_key", "claude_api_key", "gemini_api_key")



class Writer(Protocol):
    """Where :func:`rotate_secrets` writes: a text file or a management command's ``self.stdout``."""

    def write(self, text: str, /) -> object: ...

@dataclass
class FieldReport:
    """What rotation did to one encrypted column."""

    model: str
    field: str
    rotated: int = 0
    current: int = 0
    unreadable: list[Any] = dataclasses.field(default_factory=list)  # ``field`` is the attribute above

    @property
    def label(self) -> str:
        """``app_label.Model.field``, as printed."""
        return f"{self.model}.{self.field}"

    def summary(self) -> str:
        """One line for an operator: counts, then the unreadable row ids."""
        line = (
            f"{self.label}: {self.rotated} rotated, {self.current} already current, "
            f"{len(self.unreadable)} unreadable"
        )
        if self.unreadable:
            line += " (row ids: " + ", ".join(str(pk) for pk in self.unreadable) + ")"
        return line


@dataclass
class RotationReport:
    """The outcome of one :func:`rotate_secrets` run, per model and column."""

    fields: list[FieldReport] = field(default_factory=list)

    @property
    def rotated(self) -> int:
        """Tokens re-encrypted with the newest key in this run."""
        return sum(f.rotated for f in self.fields)

    @property
    def current(self) -> int:
        """Tokens that were already on the newest key."""
        return sum(f.current for f in self.fields)

    @property
    def unreadable(self) -> int:
        """Tokens no configured key can read (left untouched)."""
        return sum(len(f.unreadable) for f in self.fields)

    @property
    def ok(self) -> bool:
        """True when every stored secret is now on the newest key."""
        return self.unreadable == 0

    def lines(self) -> list[str]:
        """The per-column summary lines."""
        return [f.summary() for f in self.fields]


def secret_columns() -> list[tuple[type[models.Model], tuple[str, ...]]]:
    """The models and columns that hold Fernet tokens, with the active AISettings model.

    :returns: ``[(model, (field name, ...)), ...]`` in the order they are rotated.
    """
    from ..models import StatementPassword
    from ..models.swappable import get_ai_settings_model

    ai_model = get_ai_settings_model()
    # A swapped model may lack a column (system check E003 reports that); rotate what exists.
    present = {f.name for f in ai_model._meta.concrete_fields}
    ai_fields = tuple(getattr(ai_model, "API_KEY_FIELDS", {}).values()) or AI_KEY_FIELDS
    return [
        (StatementPassword, ("encrypted_password",)),
        (ai_model, tuple(f for f in ai_fields if f in present)),
    ]


def _write_tokens(model: type[models.Model], name: str, pairs: list[tuple[Any, bytes]], using: str) -> None:
    """``UPDATE table SET name = token WHERE pk = id`` for each pair, as one executemany.

    ``bulk_update`` would build one ``CASE WHEN`` branch per row, which is about
    ten times slower here than sending the same short statement many times.
    """
    connection = connections[using]
    qn = connection.ops.quote_name
    opts = model._meta
    target = opts.get_field(name)
    assert isinstance(target, models.Field) and target.column and opts.pk.column  # concrete columns
    sql = (
        f"UPDATE {qn(opts.db_table)} SET {qn(target.column)} = %s WHERE {qn(opts.pk.column)} = %s"
    )
    params = [(target.get_db_prep_value(token, connection), pk) for pk, token in pairs]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def _rotate_batch(
    model: type[models.Model], fields: tuple[str, ...], reports: dict[str, FieldReport], *, after: Any, size: int
) -> list[Any]:
    """Rotate the next ``size`` rows with ``pk > after`` in one transaction; returns their pks.

    Keyset pagination (``pk > last``) instead of OFFSET: every batch costs the
    same however far in we are. The batch is read ``FOR UPDATE`` so a user
    saving a new secret meanwhile is not overwritten with a stale token.
    """
    label = model._meta.label
    using = router.db_for_write(model)
    with transaction.atomic(using=using):
        qs = model._base_manager.using(using).select_for_update().order_by("pk")
        if after is not None:
            qs = qs.filter(pk__gt=after)
        rows = list(qs.values_list("pk", *fields)[:size])
        changed: dict[str, list[tuple[Any, bytes]]] = {name: [] for name in fields}
        for pk, *tokens in rows:
            for name, token in zip(fields, tokens, strict=True):
                if not token:  # no secret stored in this column
                    continue
                report = reports[name]
                if crypto.is_current(token):
                    report.current += 1
                    continue
                try:
                    new_token = crypto.rotate(token, model=label, pk=pk, field=name)
                except DecryptionError:
                    report.unreadable.append(pk)
                    logger.warning(
                        "Cannot rotate %s #%s (%s): no configured key reads it; left untouched.",
                        label, pk, name,
                    )
                    continue
                changed[name].append((pk, new_token))
                report.rotated += 1
        # One statement per column, so a row is never written with another column's stale value.
        for name, pairs in changed.items():
            if pairs:
                _write_tokens(model, name, pairs, using)
    return [row[0] for row in rows]


def _rotate_model(
    model: type[models.Model],
    fields: tuple[str, ...],
    *,
    batch_size: int,
    stdout: Writer | None,
    progress: bool,
) -> list[FieldReport]:
    reports = {name: FieldReport(model._meta.label, name) for name in fields}
    last: Any = None
    checked = 0
    while True:
        pks = _rotate_batch(model, fields, reports, after=last, size=batch_size)
        if not pks:
            break
        last = pks[-1]
        checked += len(pks)
        if progress and stdout is not None:  # written after the batch committed
            stdout.write(f"{model._meta.label}: {checked} rows checked (committed up to #{last})\n")
    return list(reports.values())


def rotate_secrets(
    *, batch_size: int | None = None, stdout: Writer | None = None, progress: bool = False
) -> RotationReport:
    """Re-encrypt every stored secret with the newest ``STATEMENT_PASSWORD_KEY``.

    Idempotent and resumable: tokens already on the newest key are skipped, and
    each batch commits on its own, so after an interruption running it again
    finishes the rest.

    :param batch_size: rows per batch/transaction; defaults to ``EXPENSE_AI["BATCH_SIZE"]``.
    :param stdout: where to write the per-column summary (and progress); nothing when ``None``.
    :param progress: also write one line per committed batch.
    :returns: a :class:`RotationReport`; ``report.ok`` is false when some token
        could not be read (those rows are listed and left untouched).
    :raises ConfigurationError: ``STATEMENT_PASSWORD_KEY`` is missing or malformed.
    :raises InvalidArgument: ``batch_size`` (or ``BATCH_SIZE``) is below 1.
    """
    size = int(batch_size or settings.BATCH_SIZE)
    if size < 1:
        raise InvalidArgument(
            f"batch_size must be at least 1, not {size}: pass a positive batch_size "
            '(or set EXPENSE_AI["BATCH_SIZE"] to one).'
        )
    crypto.configured_keys()  # fail before touching any table when the keys are broken
    report = RotationReport()
    for model, fields in secret_columns():
        if fields:
            report.fields.extend(
                _rotate_model(model, fields, batch_size=size, stdout=stdout, progress=progress)
            )
    for item in report.fields:
        logger.info(
            "Key rotation %s: %d rotated, %d already current, %d unreadable.",
            item.label, item.rotated, item.current, len(item.unreadable),
        )
        if stdout is not None:
            stdout.write(item.summary() + "\n")
    return report
