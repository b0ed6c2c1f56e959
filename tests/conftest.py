"""Shared test harness: personas, a real Celery worker process, and headless Chromium."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings

from accounts.models import User
from accounts.roles import Role
from portal.celery import app as celery_app
from tests.audit.tampering import tamper  # noqa: F401  (a fixture for every folder)
from tests.factories.accounts import PASSWORD, UserFactory

BASE_DIR = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

# --- personas -----------------------------------------------------------------------------


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture
def officer(db: None) -> User:
    return UserFactory(
        username="officer", first_name="Li", last_name="Na", roles=[Role.RISK_OFFICER]
    )


@pytest.fixture
def second_officer(db: None) -> User:
    return UserFactory(username="officer2", roles=[Role.RISK_OFFICER])


@pytest.fixture
def supervisor(db: None) -> User:
    return UserFactory(username="supervisor", roles=[Role.SUPERVISOR])


@pytest.fixture
def auditor(db: None) -> User:
    return UserFactory(username="auditor", roles=[Role.COMPLIANCE_AUDITOR])


@pytest.fixture
def privacy_officer(db: None) -> User:
    return UserFactory(username="privacy", roles=[Role.PRIVACY_OFFICER])


@pytest.fixture
def admin_user(db: None) -> User:
    return UserFactory(username="administrator", roles=[Role.ADMIN], is_staff=True)


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """Each test starts in the default language: a request that switched to Chinese must
    not leave the thread speaking Chinese to the next test's service messages."""
    from django.utils import translation

    translation.activate(django_settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


# --- database -----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix: None) -> None:
    """On SQLite (``make pytest-sqlite``) the test database is a file beside the configured
    one, as ``make run``'s is: WAL, a busy timeout, writers queueing at ``BEGIN IMMEDIATE``.
    Django's default, a shared in-memory database, fails a second concurrent writer at once
    ("database table is locked"), which is not how the product behaves."""
    database = django_settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.sqlite3" or database.get("TEST", {}).get("NAME"):
        return
    name = Path(database["NAME"])
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")  # pytest-django skips SQLite's suffix
    suffix = f"_{worker}" if worker else ""
    test_name = name.with_name(f"test_{name.stem}{suffix}{name.suffix}")
    database.setdefault("TEST", {})["NAME"] = str(test_name)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: Any, request: Any) -> Iterator[None]:
    """With ``--reuse-db`` the test databases outlive the run, so leave them as the
    migrations made them: a transactional test ends by emptying every table (its
    serialized rollback restores the rows only at the start of the next one), and the next
    run would otherwise start without the role groups and the champion scorecard."""
    yield
    if not request.config.getoption("reuse_db", False):
        return
    from django.core.management import call_command
    from django.db import connections

    with django_db_blocker.unblock():
        for connection in connections.all():
            contents = getattr(connection, "_test_serialized_contents", None)
            if not contents:
                continue
            call_command(
                "flush",
                database=connection.alias,
                interactive=False,
                verbosity=0,
                inhibit_post_migrate=True,
            )
            connection.creation.deserialize_db_from_string(contents)


# --- jobs ---------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _jobs_run_in_process() -> Iterator[None]:
    """By default a test runs jobs in-process (as `make run` does); ``celery_worker`` opts out."""
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = True


class WorkerProcess:
    """A real ``celery worker`` in a child process, against the test database and Redis."""

    def __init__(self, database_url: str, broker_url: str, concurrency: int) -> None:
        self.database_url = database_url
        self.broker_url = broker_url
        self.concurrency = concurrency
        self.process: subprocess.Popen[bytes] | None = None
        self.hostname = f"test-{os.getpid()}-{time.monotonic_ns()}@localhost"

    def start(self, timeout: float = 30.0) -> None:
        env = {
            **os.environ,
            "PORTAL_ENV": "test",
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.broker_url,
        }
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "portal",
                "worker",
                "--loglevel=WARNING",
                f"--concurrency={self.concurrency}",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                f"--queues={django_settings.WORKER_QUEUES}",
                f"--hostname={self.hostname}",
            ],
            cwd=BASE_DIR,
            env=env,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"celery worker exited with {self.process.returncode}")
            if celery_app.control.ping(destination=[self.hostname], timeout=0.5):
                return
        self.stop()
        raise RuntimeError("celery worker did not answer a ping within the time limit")

    def kill(self) -> None:
        """SIGKILL the worker and its pool children, as a crashed machine would."""
        if self.process and self.process.poll() is None:
            subprocess.run(["pkill", "-KILL", "-P", str(self.process.pid)], check=False)
            self.process.kill()
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def celery_worker(transactional_db: None, settings: Any) -> Iterator[WorkerProcess]:
    """Start a real worker process. The test must commit what the worker should see,
    so this fixture implies ``transactional_db``."""
    from django.db import connection

    db = connection.settings_dict
    database_url = (
        f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )
    broker_url = settings.REDIS_URL  # this test process's own Redis database (see settings)
    celery_app.conf.task_always_eager = False
    with celery_app.connection_for_write() as conn:
        conn.default_channel.client.flushdb()
    worker = WorkerProcess(database_url, broker_url, concurrency=2)
    worker.start()
    try:
        yield worker
    finally:
        worker.stop()
        celery_app.conf.task_always_eager = True


# --- browser ------------------------------------------------------------------------------


# Every browser context reports Content-Security-Policy violations: the page's own
# ``securitypolicyviolation`` events (an init script, which Playwright injects outside the
# policy) and Chromium's console errors about the policy. A browser test fails if any came.
CSP_WATCH = """
document.addEventListener("securitypolicyviolation", function (event) {
  console.error("CSP violation: " + event.violatedDirective + " blocked " + event.blockedURI
    + " at " + event.sourceFile + ":" + event.lineNumber);
});
"""
csp_violations: list[str] = []


def _record_csp_violation(message: Any) -> None:
    text = message.text
    if text.startswith("CSP violation") or "Content Security Policy" in text:
        csp_violations.append(f"{message.page.url if message.page else '?'}: {text}")


class CspWatchingBrowser:
    """The Chromium browser, whose new contexts watch for CSP violations."""

    def __init__(self, browser: Any) -> None:
        self._browser = browser

    def new_context(self, **options: Any) -> Any:
        context = self._browser.new_context(**options)
        context.add_init_script(CSP_WATCH)
        context.on("console", _record_csp_violation)
        return context

    def __getattr__(self, name: str) -> Any:
        return getattr(self._browser, name)


@pytest.fixture(autouse=True)
def _no_csp_violation(request: pytest.FixtureRequest) -> Iterator[None]:
    if "browser" not in request.fixturenames:
        yield
        return
    csp_violations.clear()
    yield
    found, csp_violations[:] = list(csp_violations), []
    assert not found, "Content-Security-Policy violations:\n" + "\n".join(found)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package.")
    from django.db import connections

    # Connections made before Playwright starts live in Django's thread-local slot and carry
    # the migrated data that serialized rollback restores after each transactional test.
    serialized = {
        alias: getattr(connections[alias], "_test_serialized_contents", None)
        for alias in connections
    }
    with sync_playwright() as playwright:
        # Playwright's sync API keeps an asyncio loop running in this thread, so from here
        # on Django hands out connections from a context-local slot: new objects that must
        # be given the same serialized data, or the restore would silently do nothing.
        for alias, contents in serialized.items():
            if contents is not None:
                connections[alias]._test_serialized_contents = contents
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield CspWatchingBrowser(chromium)
        chromium.close()
        # The context-local connections are invisible to the test-database teardown; close
        # them here or they would keep the test database from being dropped.
        for alias in connections:
            connections[alias].close()


@pytest.fixture
def page(browser: Any, live_server: Any) -> Iterator[Any]:
    context = browser.new_context(base_url=live_server.url, locale="en-US")
    context.set_default_timeout(10_000)
    tab = context.new_page()
    yield tab
    context.close()


def sign_in(page: Any, username: str, password: str = PASSWORD) -> None:
    """Fill in the sign-in form as a person would."""
    page.goto("/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("main button[type=submit]")


@pytest.fixture
def signed_in() -> Any:
    return sign_in


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    on_postgresql = django_settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        # A test with a real worker process is a worker test, whether or not it says so
        # (`-m "not worker"` must leave it out: the SQLite run has no Redis).
        if "celery_worker" in fixtures and not item.get_closest_marker("worker"):
            item.add_marker(pytest.mark.worker)
        if not on_postgresql and item.get_closest_marker("postgres_only"):
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL (see the test's comment)"))
        # A test that drives Chromium is a browser test, whether or not it says so.
        if "browser" in fixtures and not item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.browser)
        # Browser tests share one Chromium per process; keep them on one xdist worker.
        if item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.xdist_group("browser"))
        # A transactional test ends by emptying every table, which would also remove what
        # the migrations created (role groups and their permissions) for the tests after
        # it. Serialized rollback restores that data: make it the rule, not a per-test flag.
        marker = item.get_closest_marker("django_db")
        if (
            "transactional_db" in fixtures
            or "live_server" in fixtures
            or (marker is not None and marker.kwargs.get("transaction"))
        ):
            kwargs = {
                **(marker.kwargs if marker else {}),
                "transaction": True,
                "serialized_rollback": True,
            }
            item.add_marker(pytest.mark.django_db(**kwargs), append=False)


assert django_settings.PORTAL_ENV == "test", (
    "run the tests through pytest (pyproject sets PORTAL_ENV)"
)
