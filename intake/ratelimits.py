"""Rate limits of the intake: per client address for the public form, the API and the status
lookup, and per API key for partner channels.

The pages and the API count against the same groups, so a caller cannot double its
allowance by switching between them. Counters live in Redis (django-ratelimit's cache), so
every web process shares them. When Redis is unreachable the limit still holds, per
process: the request is counted in an in-process fixed window instead (logged, no personal
data), so an outage does not switch the limits off, and feedback is still accepted below
them.
"""

from __future__ import annotations

import logging
import math
import re
import threading
import time
from dataclasses import dataclass, field

from django.http import HttpRequest
from django_ratelimit.core import get_usage

from accounts.security import client_ip_address
from intake.inbox import BROKER_ERRORS

logger = logging.getLogger(__name__)

SUBMIT_GROUP = "intake.submit"
LOOKUP_GROUP = "intake.lookup"
PARTNER_KEY_GROUP = "intake.partner_key"

_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_RATE = re.compile(r"^(\d+)/(\d*)([smhd])$")


def parse_rate(rate: str) -> tuple[int, int]:
    """``"10/m"`` → (10 requests, 60 seconds); ``"100/5m"`` → (100, 300). The syntax of
    django-ratelimit, which reads the same settings."""
    match = _RATE.match(rate.strip())
    if match is None:
        raise ValueError(f"Not a rate: {rate!r} (expected e.g. 10/m or 100/5m)")
    count, multiplier, unit = match.groups()
    return int(count), int(multiplier or 1) * _PERIODS[unit]


@dataclass
class LocalWindows:
    """Fixed-window counters in this process: the fallback while Redis is unreachable.
    Windows start at multiples of the period; counters of past windows are dropped once
    there are many, so memory stays bounded."""

    max_entries: int = 10_000
    _counts: dict[tuple[str, str, int, int], int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def hit(self, *, group: str, key: str, rate: str, now: float | None = None) -> int | None:
        """Count one request; the seconds to wait when it is over the limit, else ``None``."""
        limit, period = parse_rate(rate)
        moment = time.time() if now is None else now
        window = int(moment // period)
        slot = (group, key, period, window)
        with self._lock:
            if slot not in self._counts and len(self._counts) >= self.max_entries:
                self._drop_past(moment)
            self._counts[slot] = count = self._counts.get(slot, 0) + 1
        if count > limit:
            return max(1, math.ceil((window + 1) * period - moment))
        return None

    def _drop_past(self, moment: float) -> None:
        for slot in [s for s in self._counts if s[3] < int(moment // s[2])]:
            del self._counts[slot]
        if len(self._counts) >= self.max_entries:  # all current: start afresh, never grow
            self._counts.clear()

    def clear(self) -> None:
        with self._lock:
            self._counts.clear()


local_windows = LocalWindows()


def _count(request: HttpRequest, *, group: str, key: str, rate: str) -> int | None:
    try:
        usage = get_usage(request, group=group, key=lambda _g, _r: key, rate=rate, increment=True)
    except BROKER_ERRORS as exc:
        logger.warning("rate limit %s counted in-process: %s", group, type(exc).__name__)
        return local_windows.hit(group=group, key=key, rate=rate)
    if usage and usage["should_limit"]:
        return max(1, int(usage["time_left"]))
    return None


def rate_limited(request: HttpRequest, *, group: str, rate: str) -> int | None:
    """Count this request against ``rate`` per client address; the seconds to wait when it
    is over the limit, else ``None``. Counted in-process when Redis is unreachable."""
    return _count(request, group=group, key=client_ip_address(request) or "unknown", rate=rate)


def key_rate_limited(request: HttpRequest, *, key_id: str, rate: str) -> int | None:
    """Count this request against ``rate`` for one partner API key (by its id, never the
    secret); the seconds to wait when it is over the limit, else ``None``."""
    return _count(request, group=PARTNER_KEY_GROUP, key=f"key:{key_id}", rate=rate)
