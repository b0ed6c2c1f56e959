"""Celery entry points for upstream signals (imported by cases.tasks so workers register them)."""
