"""Per-client-address rate limits of the public intake (the form, the API, the status lookup).

The pages and the API count against the same groups, so a caller cannot double its
allowance by switching between them. Counters live in Redis (django-ratelimit's cache);
when Redis is unreachable the limits fail open (logged, no personal data) so that feedback
is still accepted.
"""

from __future__ import annotations

import logging

from django.http import HttpRequest
from django_ratelimit.core import get_usage

from accounts.security import client_ip_address
from intake.inbox import BROKER_ERRORS

logger = logging.getLogger(__name__)

SUBMIT_GROUP = "intake.submit"
LOOKUP_GROUP = "intake.lookup"


def _client_key(group: str, request: HttpRequest) -> str:
    return client_ip_address(request) or "unknown"


def rate_limited(request: HttpRequest, *, group: str, rate: str) -> int | None:
    """Count this request against ``rate`` per client address; the seconds to wait when it
    is over the limit, else ``None``. Fails open (logged) when Redis is unreachable."""
    try:
        usage = get_usage(request, group=group, key=_client_key, rate=rate, increment=True)
    except BROKER_ERRORS as exc:
        logger.warning("rate limit %s not checked: %s", group, type(exc).__name__)
        return None
    if usage and usage["should_limit"]:
        return max(1, int(usage["time_left"]))
    return None
