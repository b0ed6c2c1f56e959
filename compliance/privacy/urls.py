"""Page routes of the compliance app's privacy pages (included by compliance.urls)."""

from django.urls import URLPattern, path

from compliance.privacy import views as privacy_views

urlpatterns: list[URLPattern] = [
    path("privacy/", privacy_views.privacy_requests, name="privacy_requests"),
    path("privacy/<int:pk>/", privacy_views.privacy_request, name="privacy_request"),
    path(
        "privacy/<int:pk>/export/",
        privacy_views.privacy_request_export,
        name="privacy_request_export",
    ),
    path("privacy/holds/", privacy_views.legal_holds, name="legal_holds"),
    path("privacy/retention/", privacy_views.retention_page, name="retention"),
]
