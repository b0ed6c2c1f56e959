"""Staff administration API, included by ``portal.urls`` under ``api/v1/``."""

from django.urls import path

from accounts.staff import api

urlpatterns = [
    path("staff/", api.StaffAPI.as_view(), name="api-staff"),
    path("staff/<int:pk>/roles/", api.StaffRolesAPI.as_view(), name="api-staff-roles"),
    path(
        "staff/<int:pk>/activation/",
        api.StaffActivationAPI.as_view(),
        name="api-staff-activation",
    ),
    path("staff/role-changes/", api.RoleChangeListAPI.as_view(), name="api-staff-changes"),
    path(
        "staff/role-changes/<int:pk>/approve/",
        api.RoleChangeApproveAPI.as_view(),
        name="api-staff-change-approve",
    ),
    path(
        "staff/role-changes/<int:pk>/reject/",
        api.RoleChangeRejectAPI.as_view(),
        name="api-staff-change-reject",
    ),
]
