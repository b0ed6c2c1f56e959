"""API routes of the compliance app's history endpoints (included by compliance.api_urls)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
