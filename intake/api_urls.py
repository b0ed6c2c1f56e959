"""Intake API under /api/v1/: feedback (public and partner channels), its status, signals."""

from django.urls import URLPattern, path

from intake.feedback.api import FeedbackCreateAPI, FeedbackStatusLookupAPI
from intake.upstream.api import SignalReceiveAPI

urlpatterns: list[URLPattern] = [
    path("feedback/", FeedbackCreateAPI.as_view(), name="feedback_create"),
    path("feedback/status/", FeedbackStatusLookupAPI.as_view(), name="feedback_status_lookup"),
    path("signals/", SignalReceiveAPI.as_view(), name="signal_receive"),
]
