"""The library's one error hierarchy.

Every error the library raises on purpose is an :class:`ExpenseAIError`. Where a
standard or Django type fits, the subclass inherits it too, so host code that
already catches ``ValueError`` or ``ValidationError`` keeps working.

Messages say what happened and what to do, and never carry a secret.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.core.exceptions import ImproperlyConfigured, ObjectDoesNotExist, ValidationError


class ExpenseAIError(Exception):
    """Root of every error raised by django-expense-ai."""


class ConfigurationError(ExpenseAIError, ImproperlyConfigured):
    """A setting is missing or malformed."""


# -- calling the library -----------------------------------------------------


class InvalidArgument(ExpenseAIError, ValueError):
    """A public function was given a value it cannot take (a batch size below 1, a
    method name it does not know, rows of two models at once). A mistake in the
    calling code; the message names the argument and what it accepts."""


class WrongArgumentType(ExpenseAIError, TypeError):
    """A public function was given an argument of a type it does not take (bytes
    where text is expected, a feed indexed with a number). The message names the
    type it got and the types it takes."""


class UnknownKey(ExpenseAIError, KeyError):
    """A name looked up in a table the library keeps is not there: no statement
    parser or bank profile registered under it, no budget-report line for it.

    ``key`` is the name asked for. Unlike ``KeyError``, ``str()`` is the message.
    """

    def __init__(self, message: str, *, key: object = None):
        super().__init__(message)
        self.key = key

    def __str__(self) -> str:  # KeyError's str() is the repr of the message
        return BaseException.__str__(self)


# -- ledger and reports ----------------------------------------------------------


class ClassificationError(ExpenseAIError, ValueError):
    """A classification that is not one of :class:`~.models.ExpenseClassification`."""


class ReportError(ExpenseAIError, ValueError):
    """A report asked for an impossible period (month 13, end before start)."""


# -- ownership ---------------------------------------------------------------


class NotYours(ExpenseAIError, ObjectDoesNotExist):
    """The row does not exist *for this user*: absent, or someone else's.

    Faces answer it with 404, never 403, so a user cannot learn that another
    user's row exists. Raised by the ownership rules (:mod:`django_expense_ai.ownership`)
    that every service applies before it writes.
    """


class OwnershipError(ExpenseAIError, ValidationError):
    """A write would link rows of different users (a split on another's transaction,
    another's account on my password, ...). Faces show it as a validation error on the field."""

    def __init__(self, message: str, code: str = "not_yours", field: str | None = None):
        self.message_text = message
        self.field = field
        super().__init__({field: [message]} if field else message, code=code)

    def __str__(self) -> str:  # ValidationError's str() is a list repr
        return self.message_text

class ReadOnlyRow(ExpenseAIError, PermissionError):
    """A row every user may read but nobody may change here (a system category or template).
    The REST API answers 403: the row is visible to everyone, so refusing reveals nothing."""


class UnexpectedField(WrongArgumentType):
    """A service was given a field it does not change (a typo, or a field the face must not set).
    Also a :class:`TypeError`, as Python raises for an unexpected keyword argument."""


# -- secrets -----------------------------------------------------------------


class DecryptionError(ExpenseAIError):
    """A stored secret cannot be read with any configured key.

    Raised instead of ``cryptography.fernet.InvalidToken``; carries the model
    label and row id so an operator can find the row, never the ciphertext.
    """

    def __init__(self, message: str, *, model: str = "", pk: object = None, field: str = ""):
        super().__init__(message)
        self.model = model
        self.pk = pk
        self.field = field


# -- money -------------------------------------------------------------------


class MoneyError(ExpenseAIError, ValueError):
    """Money that cannot be represented: unknown currency, too many decimals."""


class UnknownCurrency(MoneyError):
    """The currency code is not an ISO 4217 code (nor a configured currency)."""


class FloatMoney(MoneyError, TypeError):
    """Money given as a ``float`` (or a ``bool``): a float cannot hold cents exactly.
    Pass a ``Decimal``, an ``int`` or a decimal string. Also a ``TypeError``."""


class SplitError(ExpenseAIError, ValidationError):
    """A split that does not add up; the message says by how much it is off."""

    def __init__(self, message: str, code: str = "invalid_split"):
        ValidationError.__init__(self, message, code=code)
        self.message_text = message

    def __str__(self) -> str:  # ValidationError's str() is a list repr
        return self.message_text


# -- statements --------------------------------------------------------------


class StatementError(ExpenseAIError):
    """A statement file could not be read; ``stage`` names where it failed."""

    stage = "parse_attempt"


class PasswordRequired(StatementError):
    """The file is encrypted and no (working) password was given."""

    stage = "password_decrypt"


class WrongPassword(PasswordRequired):
    """Every password tried failed to open the file."""


class UnsupportedFormat(StatementError):
    """The file's content is not a format we read (checked by content, not name)."""

    stage = "upload"


class CorruptStatement(StatementError):
    """The file claims a known format but cannot be read."""

    stage = "text_extraction"


class StatementTooLarge(StatementError):
    """The file exceeds a configured limit (size, pages or extraction time)."""

    stage = "upload"


class ProcessingLimitExceeded(StatementTooLarge):
    """Reading the statement crossed a processing limit (time, columns, line length, page content).

    ``limit`` names the setting (for example ``"MAX_PROCESSING_SECONDS"``) and
    ``value`` its value, so a caller can say which limit was hit.
    """

    stage = "text_extraction"

    def __init__(self, message: str, *, limit: str = "", value: object = None):
        super().__init__(message)
        self.limit = limit
        self.value = value


class StorageQuotaExceeded(StatementError):
    """Keeping the file would take the user's stored statements past ``MAX_STORAGE_BYTES_PER_USER``.

    ``limit``, ``used`` and ``size`` are byte counts: the quota, what the
    user's kept files take now, and the refused file.
    """

    stage = "upload"

    def __init__(self, message: str, *, limit: int = 0, used: int = 0, size: int = 0):
        super().__init__(message)
        self.limit = limit
        self.used = used
        self.size = size


class NoPublicURL(ExpenseAIError, ValueError):
    """A statement file was asked for a URL; it has none (download it through the checked view).

    A ``ValueError``, as Django's own ``FileSystemStorage.url()`` raises when a
    storage has no base URL.
    """


class UnreadableRow(CorruptStatement):
    """A row of the statement holds a value no transaction can have.

    An impossible date (``31/02/2026``), an amount beyond what the ledger
    stores, a transaction cut off mid-way. ``row`` is the row's number as the
    file counts it (a CSV line, the n-th OFX transaction), ``field`` the field
    (``"date"``, ``"amount"``) and ``value`` the text that was read (short).
    """

    stage = "parse_attempt"

    def __init__(self, message: str, *, row: int | None = None, field: str = "", value: str = ""):
        super().__init__(message)
        self.row = row
        self.field = field
        self.value = value


class ReviewError(ExpenseAIError, ValueError):
    """A review choice that cannot be applied: an unknown row, a sure duplicate not forced, a bad bulk choice."""


class BankProfileError(ExpenseAIError, ValueError):
    """A bank profile (how to read one bank's CSV) is malformed or does not fit the file."""


class NoTextLayer(CorruptStatement):
    """A PDF whose text came out empty: scanned, image-only or cut off."""


class StatementValidationError(StatementError):
    """Parsed rows failed validation (dates, amounts, currency)."""

    stage = "validation"


# -- providers ---------------------------------------------------------------


class ProviderError(ExpenseAIError):
    """An AI provider call failed.

    :param provider: the provider's registry name (``openai``, ``claude`` ...).
    :param status_code: HTTP status when the vendor answered, else ``None``.
    :param kind: short machine-readable kind: ``auth``, ``rate_limit``,
        ``timeout``, ``server``, ``malformed``, ``connection``, ``not_installed``,
        ``disabled``, ``consent``.
    :param raw_response: the (scrubbed) model output, for malformed answers.
    """

    kind = "error"

    def __init__(
        self,
        message: str,
        *,
        provider: str = "",
        status_code: int | None = None,
        kind: str | None = None,
        raw_response: str = "",
    ):
        super().__init__(message)
        self.provider = provider
        self.status_code = status_code
        if kind:
            self.kind = kind
        self.raw_response = raw_response


class InvalidAnswer(ExpenseAIError, ValueError):
    """A model's decoded answer does not have the shape asked for (a missing field,
    a date that is not ``YYYY-MM-DD``, percentages that do not add up to 100).

    Raised by the pure validators (``validate_statement`` ...) and by
    ``parse_json`` for text that is not JSON; a provider call turns it into
    :class:`ProviderResponseError`, which carries the raw answer.
    """


class ProviderNotInstalled(ProviderError, ConfigurationError, ImportError):
    """The provider's SDK extra is not installed (also an ``ImportError``, as anymail's is)."""

    kind = "not_installed"


class ProviderAuthError(ProviderError):
    """401/403: the API key was refused."""

    kind = "auth"


class ProviderResponseError(ProviderError):
    """The model answered with something we could not validate."""

    kind = "malformed"


class ProviderUnavailable(ProviderError):
    """AI is disabled for the site, or the user has not opted in."""

    kind = "disabled"


class UnknownProvider(ProviderError, ConfigurationError):
    """No provider is registered under that name."""

    kind = "unknown"


# -- plugins -----------------------------------------------------------------


class PluginError(ConfigurationError):
    """A plugin listed in settings or entry points could not be loaded."""


# -- workflow ----------------------------------------------------------------


class InvalidTransition(ExpenseAIError, ValueError):
    """A status change that the state machine does not allow."""

    @classmethod
    def check(
        cls, allowed: Mapping[str, frozenset[str]], current: str, new: str, *, subject: str, final: str = "nothing"
    ) -> None:
        """Raise unless ``allowed`` (a state machine's moves) lets ``subject`` go from ``current`` to ``new``.

        :param subject: what moves, for the message ("A statement file").
        :param final: what to say when ``current`` allows no move at all.
        """
        moves = allowed.get(current, frozenset())
        if new not in moves:
            options = ", ".join(sorted(moves)) or final
            raise cls(f"{subject} cannot go from {current!r} to {new!r} (allowed from {current!r}: {options}).")


class ChatError(ExpenseAIError, ValueError):
    """A chat message that cannot become a transaction."""


class BudgetError(ExpenseAIError, ValidationError):
    """A budget or template whose allocations are invalid."""

    def __init__(self, message: str, code: str = "invalid_budget"):
        ValidationError.__init__(self, message, code=code)
        self.message_text = message

    def __str__(self) -> str:
        return self.message_text


class ArchiveError(ExpenseAIError, ValueError):
    """An archive run or restore that cannot go ahead: a bad age such as
    ``"6x"``, or an archive file that is not ours (bad gzip, bad JSON, a model
    that is never archived). The message names the file and line."""


class UnarchivableValue(ArchiveError, TypeError):
    """A row holds a value the archive (or a merge's copy of a removed row, written
    the same way by ``models.rows``) cannot write as JSON (a field type it does not
    know). The message names the type. Also a ``TypeError``, as ``json`` raises."""


class MergeError(ExpenseAIError, ValueError):
    """A statement merge that cannot be applied or undone as asked: manual choices
    naming transactions outside the duplicate files, an undo after the stored
    copies were purged, or a restored id that is taken again."""
