"""Assessments and their jobs: single runs, the sweep, bulk re-assessment."""
