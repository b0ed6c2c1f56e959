"""Page routes of the compliance app's history pages (included by compliance.urls)."""

from django.urls import URLPattern, path

from compliance.history import views as history_views

urlpatterns: list[URLPattern] = [
    path("history/", history_views.history_index, name="history"),
    path("history/<str:kind>/<int:pk>/", history_views.history_object, name="history_object"),
    path(
        "history/<str:kind>/<int:pk>/<int:history_id>/",
        history_views.history_version,
        name="history_version",
    ),
]
