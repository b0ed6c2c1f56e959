"""The Celery application. Configuration comes from Django settings (``CELERY_*``).

Database connections in workers: Celery's Django fix-up closes every connection before and
after every task unless ``CELERY_DB_REUSE_MAX`` is set, so by default each task paid for a
new PostgreSQL session (about half of a feedback job's time: 48 jobs/s instead of 95). The
settings turn reuse on, and the two handlers below keep it as safe as a web request's:
before a task, Django's own rules (``CONN_MAX_AGE``, ``CONN_HEALTH_CHECKS``, errors seen,
autocommit left off); after a task that did not succeed, the connections are closed, since
an exception (a soft time limit, say) may have left one mid-statement in a state Django
cannot detect, which is why Celery does not reuse them by default.
"""

import os
from typing import Any

from celery import Celery
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def _in_worker(task: Any) -> bool:
    # An eager task runs inside the caller's request, possibly inside its transaction:
    # its connections are the caller's to manage.
    return task is not None and not getattr(task.request, "is_eager", False)


@task_prerun.connect
def close_unusable_connections(sender: Any = None, **kwargs: Any) -> None:
    """Before a task: the checks Django makes at the start of a request."""
    if _in_worker(sender):
        from django.db import close_old_connections

        close_old_connections()


@task_postrun.connect
def close_connections_after_failure(
    sender: Any = None, state: str | None = None, **kwargs: Any
) -> None:
    """After a task that failed or is being retried: start the next one on new sessions."""
    if _in_worker(sender) and state != "SUCCESS":
        from django.db import connections

        connections.close_all()
