"""Built-in plugin: the library's default rules, registered like a host's would be.

Kept free of model imports, so loading the plugins (which ``read_statement``
does, with no database) never needs the app registry.
"""

from __future__ import annotations

from typing import Any

from . import hookimpl
from .types import UserLike


@hookimpl(specname="mentionable_users")
def builtin_mentionable_users(user: UserLike, contacts: Any) -> Any:
    """Whom a user may mention or split with, by default: their contacts (see ``models.ownership``).

    A host's implementation runs first (pluggy calls later registrations first).
    """
    return contacts
