"""Type aliases for the package's signatures: who acts, and the request they act through.

The app works with whatever user model the host names in ``AUTH_USER_MODEL``,
and its foreign keys to users accept instances of that model only. So
:data:`UserLike` is django-stubs' alias for the configured user model: its
mypy plugin resolves it from the settings it is run with (``auth.User`` for
this package's own check, a host's model for the host's check), and without
the plugin it is :class:`~django.contrib.auth.base_user.AbstractBaseUser`.
What a user model need not have (``is_superuser``, ``is_active``) is read
with ``getattr``.

These names are for type checkers (``mypy`` in the test command): the user
classes are imported only under ``TYPE_CHECKING``, so importing this module
loads no model and works before the app registry is ready.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias

from django.http import HttpRequest

if TYPE_CHECKING:
    # Only in django-stubs (no runtime name): the type its plugin maps to AUTH_USER_MODEL,
    # the same one it gives request.user, login() and authenticate().
    from django.contrib.auth.models import AnonymousUser, _User

__all__ = ["AuthenticatedRequest", "RequestUser", "UserLike", "UserOrId"]

#: A signed-in user of the host's user model: the owner or actor a service takes as ``user``.
UserLike: TypeAlias = "_User"

#: A user or a user's pk, where a service only filters by it (a worker or a signal has the id alone).
UserOrId: TypeAlias = "_User | int"

#: ``request.user`` before anyone checked it: a signed-in user or the anonymous one.
RequestUser: TypeAlias = "_User | AnonymousUser"


class AuthenticatedRequest(HttpRequest):
    """The request a ``login_required`` view receives: its ``user`` is signed in.

    Only an annotation (django-stubs' pattern): views still receive Django's
    :class:`~django.http.HttpRequest`; this class is never instantiated.
    """

    user: UserLike
