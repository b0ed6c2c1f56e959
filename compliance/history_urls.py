"""Page routes of the compliance app's history pages (included by compliance.urls)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
