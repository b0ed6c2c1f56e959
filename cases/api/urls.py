"""API v1 routes of the cases app, included under ``/api/v1/`` by ``portal.urls``."""

from django.urls import path

from cases.api import views as api

app_name = "cases_api"

urlpatterns = [
    path("cases/", api.CaseListAPI.as_view(), name="case_list"),
    path("cases/claim-next/", api.CaseClaimNextAPI.as_view(), name="case_claim_next"),
    path("cases/<int:pk>/", api.CaseDetailAPI.as_view(), name="case_detail"),
    path("cases/<int:pk>/notes/", api.CaseNoteCreateAPI.as_view(), name="case_note_create"),
    path(
        "cases/<int:pk>/decisions/",
        api.CaseDecisionCreateAPI.as_view(),
        name="case_decision_create",
    ),
    path("cases/<int:pk>/reassess/", api.CaseReassessAPI.as_view(), name="case_reassess"),
    path("decisions/<int:pk>/approve/", api.DecisionApproveAPI.as_view(), name="decision_approve"),
    path("decisions/<int:pk>/reject/", api.DecisionRejectAPI.as_view(), name="decision_reject"),
]
