"""Type aliases for the package's signatures: who acts, and the request they act through.

The app works with whatever user model the host names in ``AUTH_USER_MODEL``,
so a signature says :class:`~django.contrib.auth.base_user.AbstractBaseUser`
(what every such model is), never ``auth.User``. What a user model need not
have (``is_superuser``, ``is_active``) is read with ``getattr``.

These names are for type checkers (``mypy`` in the test command): the user
classes are imported only under ``TYPE_CHECKING``, so importing this module
loads no model and works before the app registry is ready.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias

from django.http import HttpRequest

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.contrib.auth.models import AnonymousUser

__all__ = ["AuthenticatedRequest", "RequestUser", "UserLike"]

#: A signed-in user of the host's user model: the owner or actor a service takes as ``user``.
UserLike: TypeAlias = "AbstractBaseUser"

#: ``request.user`` before anyone checked it: a signed-in user or the anonymous one.
RequestUser: TypeAlias = "AbstractBaseUser | AnonymousUser"


class AuthenticatedRequest(HttpRequest):
    """The request a ``login_required`` view receives: its ``user`` is signed in.

    Only an annotation (django-stubs' pattern): views still receive Django's
    :class:`~django.http.HttpRequest`; this class is never instantiated.
    """

    user: UserLike
