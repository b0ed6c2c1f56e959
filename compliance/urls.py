from django.urls import path

from compliance import views

app_name = "compliance"

urlpatterns = [
    path("audit/", views.audit_log, name="audit_log"),
    path("audit/verify/", views.audit_verify, name="audit_verify"),
]
