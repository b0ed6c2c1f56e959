"""Which address a sign-in attempt came from, for django-axes' per-address lockout."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


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


def clear_failed_sign_ins(username: str) -> int:
    """Forget the failed attempts against ``username`` after its owner signed in.

    Used instead of ``AXES_RESET_ON_SUCCESS``, which also forgets every failure from the
    signing-in address: an insider could then guess a colleague's password four times,
    sign in to their own account to wipe the count, and repeat without ever being locked.
    """
    from axes.utils import reset

    return reset(username=username)
