"""Deterministic demo customers, credit lines and blocks for ``manage.py seed_demo``.

Two halves:

- ``generation.generate_customers(count=, seed=)`` is pure (over the names, places,
  limits and causes of ``reference``): the same seed gives the same plain values
  (names, mobile numbers, ID numbers, cities, limits, states, block causes), and customer
  ``i`` does not depend on ``count`` (a smaller run is a prefix of a larger one). Times are
  offsets in seconds before the moment of seeding.
- ``seeding.demo_seed(...)`` writes them in batches (``row_writer``: ``COPY`` on
  PostgreSQL, ``bulk_create`` elsewhere) with their history rows
  (``history_user`` empty: the system acted; change reason ``seed_demo``), and records one
  audit entry for the run.

The spread follows the design's table of causes: most lines are healthy; about one customer
in five has a line that is shown but unusable, across every reason code; some lines are not
activated, some frozen, some closed, and some healthy lines carry a block lifted earlier.
"""
