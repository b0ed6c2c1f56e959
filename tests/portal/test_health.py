"""/healthz reports the database, Redis and workers as they really are."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

CLOSED_PORT = 1  # nothing listens there: connections are refused at once


@pytest.fixture
def redis_unreachable(settings: Any) -> None:
    settings.REDIS_URL = f"redis://127.0.0.1:{CLOSED_PORT}/0"


def test_healthz_is_ok_when_database_redis_and_a_worker_answer(client, celery_worker) -> None:
    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["redis"]["ok"] is True
    assert body["checks"]["workers"] == {**body["checks"]["workers"], "ok": True, "count": 1}


@pytest.mark.django_db
def test_healthz_reports_missing_workers_as_degraded(client) -> None:
    body = client.get("/healthz").json()

    assert body["status"] == "degraded"
    assert body["checks"]["redis"]["ok"] is True
    assert body["checks"]["workers"]["ok"] is False
    assert body["checks"]["workers"]["count"] == 0


@pytest.mark.django_db
def test_healthz_with_redis_down_reports_it_and_still_answers(client, redis_unreachable) -> None:
    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["redis"]["ok"] is False
    assert body["checks"]["redis"]["error"] == "ConnectionError"
    assert body["checks"]["workers"] == {
        **body["checks"]["workers"],
        "ok": False,
        "error": "broker unreachable",
    }


@pytest.mark.django_db(transaction=True)
def test_healthz_answers_503_when_the_database_is_down(client) -> None:
    original_port = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = str(CLOSED_PORT)
    try:
        response = client.get("/healthz")
    finally:
        connection.close()
        connection.settings_dict["PORT"] = original_port

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "down"
    assert body["checks"]["database"] == {
        **body["checks"]["database"],
        "ok": False,
        "error": "OperationalError",
    }


@pytest.mark.django_db
def test_healthz_without_redis_configured_says_jobs_run_in_process(client, settings) -> None:
    settings.REDIS_URL = ""

    body = client.get("/healthz").json()

    assert body["status"] == "ok"
    assert body["checks"]["workers"]["mode"] == "in-process"
