"""Browser-test plumbing shared by tests/accounts and tests/portal.

Browser tests run against ``live_server``, so they are transactional: the database is
flushed after each one, and with it the role groups that data migrations made. Marked
``serialized_rollback=True``, Django reloads the migrated data before each test. Two catches
that ``migrated_data_for_browser_tests`` handles, once per test module:

- Playwright's sync API keeps an asyncio loop "running" in the main thread, so Django keeps
  its connections in a context-local slot instead of the thread-local one. The connection
  made there is a new object without the migrated data that the test-database setup
  serialised onto the first one, and the reload would silently do nothing.
- A transactional test without serialized rollback that ran before (in another app's tests)
  flushes and lets ``post_migrate`` recreate content types and permissions under new ids;
  reloading the serialised rows on top of them would then collide. So the module starts
  from an empty database, and when it ends it leaves the migrated data behind for others.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command

BROWSER_DB = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture(scope="module")
def migrated_data_for_browser_tests(
    browser: Any, django_db_setup: None, django_db_blocker: Any
) -> Iterator[None]:
    from django.db import connections

    thread_local_slot = connections._connections._storage  # type: ignore[attr-defined]
    aliases = []
    for alias in connections:
        first = getattr(thread_local_slot, alias, None)
        data = getattr(first, "_test_serialized_contents", None)
        current = connections[alias]
        if data is None:
            data = getattr(current, "_test_serialized_contents", None)
        if data is None:
            continue
        current._test_serialized_contents = data
        aliases.append(alias)
    with django_db_blocker.unblock():
        for alias in aliases:
            _empty(alias)
    yield
    with django_db_blocker.unblock():
        for alias in aliases:
            _empty(alias)
            connection = connections[alias]
            connection.creation.deserialize_db_from_string(connection._test_serialized_contents)
            # This connection lives in Playwright's loop context, which the test-database
            # teardown does not see; left open, it would keep the database from being dropped.
            connection.close()


def _empty(alias: str) -> None:
    call_command("flush", verbosity=0, interactive=False, database=alias, inhibit_post_migrate=True)
