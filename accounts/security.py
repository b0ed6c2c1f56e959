"""Sign-in attempts as django-axes sees them: the client's address and the attempted username."""

from __future__ import annotations

import unicodedata
from typing import Any

from django.conf import settings
from django.http import HttpRequest

from portal.pii.crypto import keyed_hash

# Prefix of the stored form of a username that names no account. Django's usernames never
# contain ":" (its validator allows letters, digits and @.+-_), so the two never meet.
UNKNOWN_USERNAME_PREFIX = "unknown:"


def client_ip_address(request: HttpRequest) -> str | None:
    """The client's address, trusting ``X-Forwarded-For`` only as far as our own proxies.

    With ``AXES_IPWARE_PROXY_COUNT = n`` (env ``PROXY_COUNT``) proxies in front of the portal,
    the client is the n-th address from the right of ``X-Forwarded-For``: each of our proxies
    appends the address it saw, so entries further left are whatever the client claimed.
    Without proxies (n = 0) the header is ignored and ``REMOTE_ADDR`` is the client, so a
    forged header cannot dodge the lockout or lock out someone else's address.
    """
    remote_addr = request.META.get("REMOTE_ADDR") or None
    proxies = int(getattr(settings, "AXES_IPWARE_PROXY_COUNT", 0) or 0)
    if proxies <= 0:
        return remote_addr
    forwarded = [
        part.strip()
        for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if part.strip()
    ]
    if len(forwarded) < proxies:
        return remote_addr
    return forwarded[-proxies]


def typed_username(value: object) -> str:
    """What the sign-in form makes of the username box (stripped, NFKC, as ``UsernameField``)."""
    if value is None:
        return ""
    return unicodedata.normalize("NFKC", str(value).strip())


def stored_username(typed: str) -> str | None:
    """The username as sign-in attempts are stored and counted: an existing account's name as
    is, anything else as a keyed hash (never in clear: people type passwords there)."""
    from accounts.models import User

    if not typed:
        return None
    if User.objects.filter(username=typed).exists():
        return typed
    return UNKNOWN_USERNAME_PREFIX + keyed_hash(typed, kind="username")


def attempt_username(request: HttpRequest | None, credentials: dict[str, Any] | None) -> str | None:
    """``AXES_USERNAME_CALLABLE``: the stored username of the attempt (see ``stored_username``).

    Axes asks with the backend's credentials when it has them, otherwise with the request
    (the middleware's checks, the lockout page); both give the same answer.
    """
    field = str(getattr(settings, "AXES_USERNAME_FORM_FIELD", "username"))
    if credentials:
        value = credentials.get(field)
    elif request is not None:
        data = getattr(request, "data", None) or request.POST
        value = data.get(field)
    else:
        value = None
    return stored_username(typed_username(value))


def clear_failed_sign_ins(username: str) -> int:
    """Forget the failed attempts against ``username`` after its owner signed in.

    Used instead of ``AXES_RESET_ON_SUCCESS``, which also forgets every failure from the
    signing-in address: an insider could then guess a colleague's password four times,
    sign in to their own account to wipe the count, and repeat without ever being locked.
    """
    from axes.utils import reset

    return reset(username=username)
