"""The public feedback form and status lookup, and the officers' triage of unmatched feedback."""

from django.urls import path

from intake.feedback import views as intake_views

app_name = "intake"

urlpatterns = [
    path("feedback/", intake_views.feedback, name="feedback"),
    path("feedback/thanks/", intake_views.feedback_done, name="feedback_done"),
    path("feedback/status/", intake_views.status, name="status"),
    path("cases/triage/", intake_views.triage, name="triage"),
    path("cases/triage/<int:pk>/link/", intake_views.triage_link, name="triage_link"),
    path("cases/triage/<int:pk>/close/", intake_views.triage_close, name="triage_close"),
]
