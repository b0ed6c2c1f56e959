"""Reads shared by the case pages, the API and exports, one module per page or list.

- ``queue``: the queue's filters, ``cases_for_queue`` (pages, API, exports) and ``queue_page``
- ``detail``: ``case_for_user`` and the case page's blocks and latest assessment
- ``timeline``: ``case_timeline``
- ``dashboard``: ``supervision_summary`` and ``decision_rates``

Import selectors from their module. The names below are re-exported only for the case
views' ``selectors.<name>(...)`` calls (``cases.views``).
"""

from cases.selectors.dashboard import decision_rates, supervision_summary
from cases.selectors.detail import case_active_blocks, case_for_user, case_latest_assessment
from cases.selectors.queue import queue_page
from cases.selectors.timeline import case_timeline

__all__ = [
    "case_active_blocks",
    "case_for_user",
    "case_latest_assessment",
    "case_timeline",
    "decision_rates",
    "queue_page",
    "supervision_summary",
]
