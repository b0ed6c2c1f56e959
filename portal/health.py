"""``GET /healthz``: database, Redis and Celery worker status for load balancers and people.

The database is the one hard dependency: without it the answer is 503. Redis and the
workers being down degrades the portal (jobs wait) but pages still serve, so the answer
stays 200 with ``"status": "degraded"`` and the failing part named.
"""

from __future__ import annotations

import time
from typing import Any

import redis
from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from portal.celery import app as celery_app


def _timed(check: Any) -> dict[str, Any]:
    started = time.perf_counter()
    result: dict[str, Any] = check()
    result["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


def check_database() -> dict[str, Any]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True, "vendor": connection.vendor}


def check_redis() -> dict[str, Any]:
    if not settings.REDIS_URL:
        return {"ok": True, "mode": "not configured: jobs run in-process"}
    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
    try:
        client.ping()
    except redis.RedisError as exc:
        return {"ok": False, "error": type(exc).__name__}
    finally:
        client.close()
    return {"ok": True}


def check_workers(redis_ok: bool) -> dict[str, Any]:
    if not settings.REDIS_URL:
        return {"ok": True, "mode": "in-process", "count": 0}
    if not redis_ok:
        return {"ok": False, "error": "broker unreachable", "count": 0}
    try:
        replies = celery_app.control.ping(timeout=settings.HEALTHZ_WORKER_TIMEOUT) or []
    except (OSError, redis.RedisError) as exc:
        return {"ok": False, "error": type(exc).__name__, "count": 0}
    return {"ok": bool(replies), "count": len(replies)}


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    database = _timed(check_database)
    redis_state = _timed(check_redis)
    workers = _timed(lambda: check_workers(redis_state["ok"]))
    checks = {"database": database, "redis": redis_state, "workers": workers}
    if not database["ok"]:
        status, code = "down", 503
    elif not (redis_state["ok"] and workers["ok"]):
        status, code = "degraded", 200
    else:
        status, code = "ok", 200
    return JsonResponse({"status": status, "checks": checks}, status=code)
