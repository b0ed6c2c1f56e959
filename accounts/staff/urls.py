"""Staff administration pages, included by ``portal.urls`` under ``accounts/staff/``."""

from django.urls import path

from accounts.staff import views

app_name = "staff"

urlpatterns = [
    path("", views.staff_list_view, name="list"),
    path("invite/", views.staff_invite_view, name="invite"),
    path("<int:pk>/", views.staff_detail_view, name="detail"),
    path("<int:pk>/activation/", views.staff_activation_view, name="activation"),
    path("changes/<int:pk>/approve/", views.staff_change_approve_view, name="approve"),
    path("changes/<int:pk>/reject/", views.staff_change_reject_view, name="reject"),
]
