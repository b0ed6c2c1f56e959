"""API v1 routes of the scoring app, included under ``/api/v1/`` by ``portal.urls``."""

from django.urls import path

from scoring.api import views as api

app_name = "scoring_api"

urlpatterns = [
    path("assessments/bulk/", api.BulkJobCreateAPI.as_view(), name="bulk_job_create"),
    path("assessments/bulk/<int:pk>/", api.BulkJobDetailAPI.as_view(), name="bulk_job_detail"),
    path(
        "assessments/bulk/<int:pk>/cancel/",
        api.BulkJobCancelAPI.as_view(),
        name="bulk_job_cancel",
    ),
    path(
        "assessments/bulk/<int:pk>/resume/",
        api.BulkJobResumeAPI.as_view(),
        name="bulk_job_resume",
    ),
    path("assessments/<int:pk>/", api.AssessmentDetailAPI.as_view(), name="assessment_detail"),
    path("customers/<int:pk>/reveal/", api.CustomerRevealAPI.as_view(), name="customer_reveal"),
    path(
        "reveal-allowances/",
        api.RevealAllowanceCreateAPI.as_view(),
        name="reveal_allowance_create",
    ),
]
