from django.urls import path

from compliance.access import urls as access_urls
from compliance.auditlog import views
from compliance.exports import urls as export_urls
from compliance.history import urls as history_urls
from compliance.privacy import urls as privacy_urls

app_name = "compliance"

urlpatterns = [
    path("audit/", views.audit_log, name="audit_log"),
    path("audit/verify/", views.audit_verify, name="audit_verify"),
    *history_urls.urlpatterns,
    *export_urls.urlpatterns,
    *access_urls.urlpatterns,
    *privacy_urls.urlpatterns,
]
