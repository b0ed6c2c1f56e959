"""Intake API under /api/v1/: feedback (public and partner channels), its status, signals."""

from django.urls import URLPattern, path

from cases.intake_api import FeedbackCreateAPI, FeedbackStatusAPI
from cases.signals_api import SignalReceiveAPI

urlpatterns: list[URLPattern] = [
    path("feedback/", FeedbackCreateAPI.as_view(), name="feedback_create"),
    path("feedback/<str:reference>/status/", FeedbackStatusAPI.as_view(), name="feedback_status"),
    path("signals/", SignalReceiveAPI.as_view(), name="signal_receive"),
]
