"""API routes of the compliance app's history endpoints (included by compliance.api_urls)."""

from django.urls import URLPattern, path

from compliance.history import api as history_api

urlpatterns: list[URLPattern] = [
    path(
        "history/<str:model>/<int:pk>/",
        history_api.HistoryVersionsAPI.as_view(),
        name="history_versions_api",
    ),
    path("audit/entries/", history_api.AuditEntryListAPI.as_view(), name="audit_entries_api"),
    path("audit/verify/", history_api.AuditVerifyAPI.as_view(), name="audit_verify_api"),
]
