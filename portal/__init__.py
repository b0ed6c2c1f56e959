"""Project package: settings, root URLs, the Celery app and cross-cutting middleware."""

from portal.celery import app as celery_app

__all__ = ("celery_app",)
