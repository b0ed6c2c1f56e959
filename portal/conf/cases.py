"""Settings of the case workflow (``portal.settings`` imports each name from here).

Work-in-progress limit per officer, claim timeout, SLA (hours per priority, per category
with a "default" row; see ``cases.policy``), the queue's page size and count cap, and the
four-eyes policy of decisions (``cases.decisions.policy``).
"""

from __future__ import annotations

import environ

env = environ.Env()

CASES_WIP_LIMIT = env.int("CASES_WIP_LIMIT", default=10)
CASES_CLAIM_TIMEOUT_MINUTES = env.int("CASES_CLAIM_TIMEOUT_MINUTES", default=120)
CASES_SLA_DUE_SOON_MINUTES = env.int("CASES_SLA_DUE_SOON_MINUTES", default=60)
CASES_SLA_HOURS: dict[str, dict[int, int]] = {"default": {1: 4, 2: 24, 3: 72, 4: 120}}
CASES_QUEUE_PAGE_SIZE = 50
CASES_QUEUE_COUNT_CAP = 1000

# Raising a usable limit above this (CNY), or above the latest recommendation, needs a
# second person's approval (four eyes), whoever proposes it.
CASES_APPROVAL_LIMIT_THRESHOLD = env.int("CASES_APPROVAL_LIMIT_THRESHOLD", default=20_000)
# A raise needs approval, whatever the amount, when the customer has no succeeded
# assessment finished within this many days (the detection rule's "assessment out of date"
# uses the same 180 days in the demo data).
CASES_ASSESSMENT_STALE_DAYS = env.int("CASES_ASSESSMENT_STALE_DAYS", default=180)
