from django.urls import path

from scoring import views
from scoring.customers import reveal_views

app_name = "scoring"

urlpatterns = [
    path("credit-lines/unusable/", views.unusable_lines, name="unusable_lines"),
    path("customers/", views.customer_search, name="customer_search"),
    path("customers/<int:pk>/reveal/", reveal_views.customer_reveal, name="customer_reveal"),
    path(
        "reveal-allowances/",
        reveal_views.reveal_allowance_grant,
        name="reveal_allowance_grant",
    ),
    # Explanations, scorecard versions, champion/challenger.
    path("assessments/<int:pk>/", views.assessment_detail, name="assessment_detail"),
    path("scorecards/", views.scorecards, name="scorecards"),
    path("scorecards/<int:pk>/", views.scorecard_detail, name="scorecard_detail"),
    path("scorecards/<int:pk>/activate/", views.scorecard_activate, name="scorecard_activate"),
    path("scorecards/<int:pk>/compare/", views.scorecard_compare, name="scorecard_compare"),
    # Assessments as jobs and bulk re-assessment.
    path("assessments/<int:pk>/rerun/", views.assessment_rerun, name="assessment_rerun"),
    path("assessments/<int:pk>/status/", views.assessment_status, name="assessment_status"),
    path("bulk-jobs/", views.bulk_jobs, name="bulk_jobs"),
    path("bulk-jobs/<int:pk>/", views.bulk_job_detail, name="bulk_job_detail"),
    path("bulk-jobs/<int:pk>/progress/", views.bulk_job_progress, name="bulk_job_progress"),
    path("bulk-jobs/<int:pk>/cancel/", views.bulk_job_cancel, name="bulk_job_cancel"),
    path("bulk-jobs/<int:pk>/resume/", views.bulk_job_resume, name="bulk_job_resume"),
]
