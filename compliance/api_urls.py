"""The compliance app's API under /api/v1/: history, audit entries and verification, the
personal-data access log, data-subject requests."""

from compliance.access import api_urls as access_api_urls
from compliance.history import api_urls as history_api_urls
from compliance.privacy import api_urls as privacy_api_urls

urlpatterns = [
    *history_api_urls.urlpatterns,
    *access_api_urls.urlpatterns,
    *privacy_api_urls.urlpatterns,
]
