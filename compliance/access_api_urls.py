"""API routes of the compliance app's access endpoints (included by compliance.api_urls)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
