"""Decision pages, included by ``portal.urls`` under ``cases/``."""

from django.urls import path

from cases.decisions import views as decision_views

app_name = "decisions"

urlpatterns = [
    path("<int:pk>/decide/", decision_views.decision_propose_view, name="propose"),
    path("approvals/", decision_views.approvals_view, name="approvals"),
    path(
        "decisions/<int:pk>/approve/",
        decision_views.decision_approve_view,
        name="approve",
    ),
    path("decisions/<int:pk>/reject/", decision_views.decision_reject_view, name="reject"),
]
