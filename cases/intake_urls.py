"""The public feedback form and status lookup, and the officers' triage of unmatched feedback."""

from django.urls import URLPattern

app_name = "intake"

urlpatterns: list[URLPattern] = []
