"""Settings of reveals of personal data (``portal.settings`` imports each name from here).

``REVEALS_DAILY_BUDGET``: reveals (page and API) one person may make per local day before
a supervisor must grant an extra allowance; supervisors are notified when someone reaches
``REVEALS_ALERT_SHARE`` of their day's limit.
"""

from __future__ import annotations

import environ

env = environ.Env()

REVEALS_DAILY_BUDGET = env.int("REVEALS_DAILY_BUDGET", default=20)
REVEALS_ALERT_SHARE = 0.8
