"""The compliance app's API under /api/v1/: history, audit entries and verification, the
personal-data access log, data-subject requests."""

from compliance import access_api_urls, history_api_urls, privacy_api_urls

urlpatterns = [
    *history_api_urls.urlpatterns,
    *access_api_urls.urlpatterns,
    *privacy_api_urls.urlpatterns,
]
