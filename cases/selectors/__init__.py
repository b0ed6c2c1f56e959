"""Reads shared by the case pages, the API and exports, one module per page or list.

- ``queue``: the queue's filters, ``cases_for_queue`` (pages, API, exports) and ``queue_page``
- ``detail``: ``case_for_user`` and the case page's blocks and latest assessment
- ``timeline``: ``case_timeline``
- ``dashboard``: ``supervision_summary`` and ``decision_rates``

Import selectors from their module (``from cases.selectors import queue``).
"""
