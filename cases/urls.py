"""Case pages, included by ``portal.urls`` under ``cases/``."""

from django.urls import path

from cases import views

app_name = "cases"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("mine/", views.my_cases, name="my_cases"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("claim/", views.claim_next, name="claim_next"),
    path("reassign/", views.reassign, name="reassign"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/notes/", views.note_add, name="note_add"),
    path("<int:pk>/reassess/", views.reassess, name="reassess"),
]
