"""The scoring API under /api/v1/: assessments, bulk jobs, reveal."""
