"""The public feedback form and status lookup, and the officers' triage of unmatched feedback."""

from django.urls import path

from intake.feedback import views as feedback_views
from intake.triage import views as triage_views

app_name = "intake"

urlpatterns = [
    path("feedback/", feedback_views.feedback, name="feedback"),
    path("feedback/thanks/", feedback_views.feedback_done, name="feedback_done"),
    path("feedback/status/", feedback_views.status, name="status"),
    path("cases/triage/", triage_views.triage, name="triage"),
    path("cases/triage/<int:pk>/link/", triage_views.triage_link, name="triage_link"),
    path("cases/triage/<int:pk>/close/", triage_views.triage_close, name="triage_close"),
]
