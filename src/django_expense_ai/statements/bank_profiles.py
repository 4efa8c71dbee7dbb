"""The bank-profile registry, filled by the ``register_bank_profiles`` hook.

A bank profile (:class:`~.formats.profiles.BankProfile`) says how to read one
bank's CSV export. The built-in ones are registered by
:mod:`django_expense_ai.statements.builtin_profiles`, an ordinary plugin; a
plugin adds its bank's by implementing the same hook. An account's own saved
profile (:mod:`django_expense_ai.statements.account_profiles`) is not in the
registry: it travels with the document and comes first.

Pure: no database.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .. import plugins
from ..exceptions import BankProfileError, PluginError, UnknownKey
from .formats.profiles import BankProfile, best_profile

__all__ = ["get_bank_profile", "get_bank_profiles", "match_bank_profile", "reset_bank_profiles"]


def _accept(profile: Any) -> BankProfile:
    if isinstance(profile, Mapping):
        try:
            profile = BankProfile.from_dict(profile)
        except BankProfileError as err:
            raise PluginError(f"A plugin registered a bank profile that cannot be used: {err}") from err
    if not isinstance(profile, BankProfile):
        raise PluginError(
            f"{profile!r} is not a bank profile: register a BankProfile "
            "(django_expense_ai.statements.formats.profiles) or a dict it accepts."
        )
    return profile


_registry: plugins.HookRegistry[BankProfile] = plugins.HookRegistry(
    "register_bank_profiles", "bank profiles", _accept
)


def get_bank_profiles() -> tuple[BankProfile, ...]:
    """Every registered profile; plugins' before the built-ins (pluggy calls later plugins first).

    Built on first use and cached until :func:`django_expense_ai.plugins.reset`.

    :returns: a tuple of :class:`BankProfile`.
    :raises PluginError: a plugin registered something that is not a profile, or a duplicate name.
    """
    return _registry.all()


def get_bank_profile(name: str) -> BankProfile:
    """The registered profile called ``name``.

    :returns: the profile.
    :raises UnknownKey: no profile has that name (a ``KeyError``).
    """
    profile = _registry.get(name)
    if profile is not None:
        return profile
    known = ", ".join(registered.name for registered in get_bank_profiles()) or "none"
    raise UnknownKey(
        f"No bank profile is registered as {name!r} (known: {known}). Check the name, "
        "or install and list the plugin that provides it.",
        key=name,
    )


def match_bank_profile(rows: Sequence[Sequence[str]]) -> BankProfile | None:
    """The registered profile whose columns a file's header holds (the most specific one).

    :param rows: the file's first rows, split into cells.
    :returns: the profile, or ``None``.
    :raises PluginError: see :func:`get_bank_profiles`.
    """
    return best_profile(get_bank_profiles(), rows)


def reset_bank_profiles() -> None:
    """Forget the cached registry (:func:`django_expense_ai.plugins.reset` does it too)."""
    _registry.clear()
