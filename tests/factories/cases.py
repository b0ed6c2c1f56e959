"""Cases. ``CaseFactory`` writes the row directly (tests of the services use the services)."""

from __future__ import annotations

from datetime import timedelta

import factory
from django.utils import timezone

from cases.models import Case, CaseCategory, CaseSource, CaseStatus, Priority
from intake.models import Channel, ChannelKey, Feedback, FeedbackKind, FeedbackStatus
from tests.factories.scoring import CreditLineFactory


class CaseFactory(factory.django.DjangoModelFactory):
    """A new, unassigned case about a shown-but-unusable line, due in three days."""

    class Meta:
        model = Case

    credit_line = factory.SubFactory(CreditLineFactory)
    customer = factory.SelfAttribute("credit_line.customer")
    category = CaseCategory.LIMIT_UNUSABLE
    source = CaseSource.DETECTION
    reason_code = "DEVICE_ANOMALY"
    status = CaseStatus.NEW
    priority = Priority.P3
    sla_due_at = factory.LazyFunction(lambda: timezone.now() + timedelta(hours=72))


# --- channels and their keys (h_signals) ----------------------------------------------------


class ChannelFactory(factory.django.DjangoModelFactory):
    """An active upstream system; ``kind=Channel.Kind.PARTNER`` for a partner channel."""

    class Meta:
        model = Channel
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"upstream-{n}")
    name = factory.Sequence(lambda n: f"Upstream system {n}")
    kind = Channel.Kind.UPSTREAM
    active = True


def make_channel_key(channel: Channel | None = None, **fields: object) -> tuple[ChannelKey, str]:
    """``(key row, plaintext)`` for ``channel`` (a new upstream channel by default)."""
    channel = channel or ChannelFactory()
    fields.setdefault("name", "test key")
    key, plaintext = ChannelKey.objects.create_key(channel=channel, **fields)
    return key, plaintext  # type: ignore[return-value]


class FeedbackFactory(factory.django.DjangoModelFactory):
    """Feedback from the public form, with consent, waiting to be processed. Tests of the
    intake use ``intake.feedback.submission.feedback_submit``; this writes the row directly."""

    class Meta:
        model = Feedback

    reference = factory.Sequence(lambda n: f"FB-TEST{n:08d}"[:15])
    kind = FeedbackKind.LIMIT_UNUSABLE
    name = "王小明"
    phone = factory.Sequence(lambda n: f"137{n:08d}")
    description = "额度显示五万但是无法使用。"
    language = "zh-hans"
    consent_version = "2026-11-v1"
    consent_at = factory.LazyFunction(timezone.now)
    status = FeedbackStatus.RECEIVED
