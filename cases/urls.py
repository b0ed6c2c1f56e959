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
    path("notifications/", views.notifications_page, name="notifications"),
    path("notifications/read-all/", views.notifications_read_all, name="notifications_read_all"),
    path("notifications/<int:pk>/read/", views.notification_read, name="notification_read"),
    path("rates/", views.rates, name="rates"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/notes/", views.note_add, name="note_add"),
    path("<int:pk>/reassess/", views.reassess, name="reassess"),
]
