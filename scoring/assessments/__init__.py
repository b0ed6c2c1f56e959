"""Assessments and their jobs: single runs (``services``), the sweep (``sweep``), bulk
re-assessment (``bulk``, ``filters``), batch scoring (``batch``) and its PostgreSQL ``COPY``
path (``bulk_copy``)."""
