from django.urls import path

from compliance import access_urls, export_urls, history_urls, privacy_urls, views

app_name = "compliance"

urlpatterns = [
    path("audit/", views.audit_log, name="audit_log"),
    path("audit/verify/", views.audit_verify, name="audit_verify"),
    *history_urls.urlpatterns,
    *export_urls.urlpatterns,
    *access_urls.urlpatterns,
    *privacy_urls.urlpatterns,
]
