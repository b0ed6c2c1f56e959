"""Page routes of the compliance app's access pages (included by compliance.urls)."""

from django.urls import URLPattern, path

from compliance.access import views as access_views

urlpatterns: list[URLPattern] = [
    path("access/", access_views.access_log, name="access_log"),
]
