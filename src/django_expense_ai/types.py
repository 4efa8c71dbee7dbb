"""Type aliases for the package's signatures: who acts, and the request they act through.

The app works with whatever user model the host names in ``AUTH_USER_MODEL``,
and its foreign keys to users accept instances of that model only. So
:data:`UserLike` is django-stubs' alias for the configured user model: its
mypy plugin resolves it from the settings it is run with (``auth.User`` for
this package's own check, a host's model for the host's check), and without
the plugin it is :class:`~django.contrib.auth.base_user.AbstractBaseUser`.
What a user model need not have (``is_superuser``, ``is_active``) is read
with ``getattr``.

These names are for type checkers (``mypy`` in the test command): Django's
classes are imported only under ``TYPE_CHECKING``, so importing this module
loads no model (nor ``django.db``) and works before the app registry is ready.
``AuthenticatedRequest`` exists for type checkers only: import it under
``TYPE_CHECKING``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias

if TYPE_CHECKING:
    # _User is only in django-stubs (no runtime name): the type its plugin maps to AUTH_USER_MODEL,
    # the same one it gives request.user, login() and authenticate(). Its public alternative,
    # AbstractBaseUser, fails every user lookup the plugin checks (36 errors, each needing a cast).
    # Nothing imports it at run time, so a stubs release that renames it fails `mypy` in the test
    # command, never a site; the dev extra keeps django-stubs below its next major.
    from django.contrib.auth.models import AnonymousUser, _User
    from django.http import HttpRequest

__all__ = ["RequestUser", "UserLike", "UserOrId"]

#: A signed-in user of the host's user model: the owner or actor a service takes as ``user``.
UserLike: TypeAlias = "_User"

#: A user or a user's pk, where a service only filters by it (a worker or a signal has the id alone).
UserOrId: TypeAlias = "_User | int"

#: ``request.user`` before anyone checked it: a signed-in user or the anonymous one.
RequestUser: TypeAlias = "_User | AnonymousUser"


if TYPE_CHECKING:

    class AuthenticatedRequest(HttpRequest):
        """The request a ``login_required`` view receives: its ``user`` is signed in (django-stubs' pattern)."""

        user: UserLike
