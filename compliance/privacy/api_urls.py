"""API routes of the compliance app's privacy endpoints (included by compliance.api_urls)."""

from django.urls import URLPattern, path

from compliance.privacy import api as privacy_api

urlpatterns: list[URLPattern] = [
    path(
        "privacy/requests/",
        privacy_api.PrivacyRequestCreateAPI.as_view(),
        name="privacy_request_create",
    ),
    path(
        "privacy/requests/<int:pk>/",
        privacy_api.PrivacyRequestDetailAPI.as_view(),
        name="privacy_request_detail",
    ),
    path(
        "privacy/requests/<int:pk>/fulfil/",
        privacy_api.PrivacyRequestFulfilAPI.as_view(),
        name="privacy_request_fulfil",
    ),
    path(
        "privacy/requests/<int:pk>/refuse/",
        privacy_api.PrivacyRequestRefuseAPI.as_view(),
        name="privacy_request_refuse",
    ),
    path(
        "privacy/requests/<int:pk>/export/",
        privacy_api.PrivacyRequestExportAPI.as_view(),
        name="privacy_request_export_api",
    ),
]
