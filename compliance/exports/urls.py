"""Page routes of the compliance app's export pages (included by compliance.urls)."""

from django.urls import URLPattern, path

from compliance.exports import views as export_views

urlpatterns: list[URLPattern] = [
    path("exports/", export_views.exports, name="exports"),
    path("exports/<int:pk>/manifest.json", export_views.export_manifest, name="export_manifest"),
    path("exports/<str:kind>/", export_views.export, name="export"),
]
