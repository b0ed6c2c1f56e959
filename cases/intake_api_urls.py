"""Intake API under /api/v1/: feedback (public and partner channels), its status, signals."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
