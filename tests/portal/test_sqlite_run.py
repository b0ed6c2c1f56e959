"""``make pytest-sqlite`` runs the tests as ``make run`` runs the portal: SQLite in a file
(WAL, writers queueing at BEGIN IMMEDIATE), no Redis, jobs in-process after each commit."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from portal.celery import app as celery_app
from tests.backends import ON_POSTGRESQL

pytestmark = pytest.mark.skipif(ON_POSTGRESQL, reason="checks the SQLite run's configuration")


@pytest.mark.django_db
def test_the_sqlite_run_uses_a_file_database_in_wal_mode_with_immediate_transactions() -> None:
    name = Path(connection.settings_dict["NAME"])
    assert name.name.startswith("test_")
    assert name.is_file()  # not Django's shared in-memory default
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
    assert connection.transaction_mode == "IMMEDIATE"


def test_the_sqlite_run_has_no_redis_and_runs_jobs_in_process() -> None:
    assert settings.REDIS_URL == ""
    assert settings.CELERY_TASK_ALWAYS_EAGER is True
    assert celery_app.conf.broker_url == "memory://"
    for alias in ("default", "ratelimit"):
        assert settings.CACHES[alias]["BACKEND"].endswith("LocMemCache")
