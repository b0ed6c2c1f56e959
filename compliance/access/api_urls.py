"""API routes of the compliance app's access endpoints (included by compliance.api_urls)."""

from django.urls import URLPattern, path

from compliance.access import api as access_api

urlpatterns: list[URLPattern] = [
    path(
        "audit/personal-data-access/",
        access_api.PersonalDataAccessListAPI.as_view(),
        name="personal_data_access_list",
    ),
]
