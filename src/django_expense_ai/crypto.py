"""All encryption and decryption of stored secrets (statement passwords, API keys).

``settings.STATEMENT_PASSWORD_KEY`` is one Fernet key or a list of keys,
newest first: encryption uses the first, decryption tries each
(``MultiFernet``). Nothing here ever generates a key: a missing or malformed
key is a system-check error (``expense_ai.E001``/``E002``) and, at use, a
:class:`~django_expense_ai.exceptions.ConfigurationError`.

A token no configured key can read raises
:class:`~django_expense_ai.exceptions.DecryptionError`; the ciphertext is
never returned as if it were the value.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.views.decorators.debug import sensitive_variables

from .conf import settings
from .exceptions import ConfigurationError, DecryptionError, WrongArgumentType

HOW_TO_GENERATE = (
    'Generate one with: python -c "from cryptography.fernet import Fernet; '
    'print(Fernet.generate_key().decode())" and set STATEMENT_PASSWORD_KEY from your '
    "secret store (a list of keys, newest first, during rotation)."
)


# Keys and plaintexts never appear in an error report's local variables
# (Django hides them whenever DEBUG is off: error pages and ADMINS mail).
@sensitive_variables()
def configured_keys() -> list[bytes]:
    """The configured keys as bytes, newest first. Raises ConfigurationError."""
    raw = settings.STATEMENT_PASSWORD_KEY
    if raw in (None, "", b"", [], ()):
        raise ConfigurationError("STATEMENT_PASSWORD_KEY is not set. " + HOW_TO_GENERATE)
    items = tuple(raw) if isinstance(raw, (list, tuple)) else (raw,)
    try:
        return list(_validated_keys(items))
    except TypeError:  # an unhashable item: validate uncached for the message
        return list(_validated_keys.__wrapped__(items))


@lru_cache(maxsize=8)
@sensitive_variables()
def _validated_keys(items: tuple) -> tuple[bytes, ...]:
    # Cached per configured value: validation builds a Fernet per key, which
    # showed up in the rotation benchmark; override_settings changes the key.
    keys = []
    for index, item in enumerate(items):
        key = item.encode() if isinstance(item, str) else item
        if not isinstance(key, bytes):
            raise ConfigurationError(
                f"STATEMENT_PASSWORD_KEY[{index}] must be a str or bytes Fernet key. " + HOW_TO_GENERATE
            )
        try:
            Fernet(key)
        except (ValueError, TypeError) as err:
            # The message names the position only; the key itself stays out of it.
            raise ConfigurationError(
                f"STATEMENT_PASSWORD_KEY[{index}] is not a valid Fernet key "
                "(32 url-safe base64-encoded bytes). " + HOW_TO_GENERATE
            ) from err
        keys.append(key)
    return tuple(keys)


@lru_cache(maxsize=8)
@sensitive_variables()
def _fernets(keys: tuple[bytes, ...]) -> tuple[MultiFernet, Fernet]:
    fernets = [Fernet(k) for k in keys]
    return MultiFernet(fernets), fernets[0]


def _multi() -> tuple[MultiFernet, Fernet]:
    return _fernets(tuple(configured_keys()))


def _as_bytes(token: Any) -> bytes:
    if isinstance(token, memoryview):
        return token.tobytes()
    if isinstance(token, str):
        return token.encode()
    return bytes(token)


@sensitive_variables()
def encrypt(plain: str) -> bytes:
    """Encrypt ``plain`` with the newest key; returns the Fernet token as bytes.

    :raises WrongArgumentType: ``plain`` is not a ``str`` (a ``TypeError``).
    :raises ConfigurationError: ``STATEMENT_PASSWORD_KEY`` is missing or malformed.
    """
    if not isinstance(plain, str):
        # The type only: the value is a secret.
        raise WrongArgumentType(f"encrypt() takes a str, not {type(plain).__name__}; decode bytes to text first.")
    multi, _primary = _multi()
    return multi.encrypt(plain.encode("utf-8"))


@sensitive_variables()
def decrypt(token: Any, *, model: str = "", pk: Any = None, field: str = "") -> str:
    """Decrypt ``token`` with any configured key.

    Raises :class:`DecryptionError` naming the row (``model``, ``pk``,
    ``field``) when no configured key can read it.
    """
    multi, _primary = _multi()
    try:
        return multi.decrypt(_as_bytes(token)).decode("utf-8")
    except (InvalidToken, TypeError, ValueError) as err:
        where = f"{model or 'secret'} #{pk}" + (f" ({field})" if field else "")
        raise DecryptionError(
            f"Cannot decrypt {where}: no key in STATEMENT_PASSWORD_KEY opens it. The key may be "
            "wrong or missing: add the key it was encrypted with back to the list.",
            model=model,
            pk=pk,
            field=field,
        ) from err


def is_current(token: Any) -> bool:
    """True when ``token`` is already encrypted with the newest key."""
    _multi_f, primary = _multi()
    try:
        primary.decrypt(_as_bytes(token))
    except InvalidToken:
        return False
    return True


@sensitive_variables()
def rotate(token: Any, *, model: str = "", pk: Any = None, field: str = "") -> bytes:
    """Re-encrypt ``token`` with the newest key (keeping its timestamp).

    Raises :class:`DecryptionError` when no configured key reads it.
    """
    multi, _primary = _multi()
    try:
        return multi.rotate(_as_bytes(token))
    except InvalidToken as err:
        raise DecryptionError(
            f"Cannot rotate {model or 'secret'} #{pk} ({field}): no configured key opens it.",
            model=model,
            pk=pk,
            field=field,
        ) from err
