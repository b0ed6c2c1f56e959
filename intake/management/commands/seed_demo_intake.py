# ruff: noqa: RUF001  (the demo texts are Chinese, with Chinese punctuation)
"""Demo intake for ``make run``: a few customers' feedback (matched to cases, and unmatched
for triage). The demo privacy requests are ``seed_demo_privacy``'s.

Runs once: it does nothing when any feedback exists. Everything goes through the services
(stored, processed, audited) as a real submission would.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from intake.feedback.submission import feedback_submit
from intake.models import Feedback, FeedbackKind
from scoring.models import CreditLine

UNMATCHED = (
    ("李雷", "13700000001", "我的额度显示两万，但付款时一直提示额度不可用。"),
    ("韩梅梅", "13700000002", "激活的时候提示系统繁忙，试了好几次都不行。"),
)


class Command(BaseCommand):
    help = __doc__

    def handle(self, *args: Any, **options: Any) -> None:
        if Feedback.objects.exists():
            self.stdout.write("Demo intake: feedback exists already; nothing added.")
            return
        lines = (
            CreditLine.objects.shown_but_unusable().select_related("customer").order_by("id")[:3]
        )
        submitted = 0
        for line in lines:
            customer = line.customer
            if not customer.phone or not customer.name:
                continue
            feedback_submit(
                kind=FeedbackKind.LIMIT_UNUSABLE,
                name=customer.name,
                phone=customer.phone,
                description="App 里显示有额度，但是下单时提示额度不可用。",
                happened_at=timezone.now() - timedelta(hours=5),
                consent=True,
                consent_version=settings.INTAKE_CONSENT_VERSION,
                language="zh-hans",
                channel=None,
            )
            submitted += 1
        for name, phone, description in UNMATCHED:
            feedback_submit(
                kind=FeedbackKind.OTHER,
                name=name,
                phone=phone,
                description=description,
                happened_at=None,
                consent=True,
                consent_version=settings.INTAKE_CONSENT_VERSION,
                language="zh-hans",
                channel=None,
            )
            submitted += 1
        self.stdout.write(f"Demo intake: {submitted} feedback submissions.")
