from csp.decorators import csp_replace
from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from django.views.i18n import set_language
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from portal import health, views
from portal.conf.security import REDOC_POLICY

urlpatterns = [
    path("", include("accounts.home_urls")),
    path("healthz", health.healthz, name="healthz"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("accounts/", include("accounts.urls")),
    path("accounts/staff/", include("accounts.staff.urls")),
    path("compliance/", include("compliance.urls")),
    path("scoring/", include("scoring.urls")),
    path("cases/", include("cases.urls")),
    path("cases/", include("cases.decisions.urls")),
    path("", include("intake.urls")),
    # One sign-in page for everyone, with its lockout messages and audit entries; a signed-in
    # user the admin turns away gets the 403 page here instead of a redirect loop.
    path("admin/login/", views.admin_login, name="admin-login"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("scoring.api.urls")),
    path("api/v1/", include("cases.api.urls")),
    path("api/v1/", include("intake.api_urls")),
    path("api/v1/", include("compliance.api_urls")),
    path("api/v1/", include("accounts.staff.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # Schema and docs for signed-in staff only (SERVE_PERMISSIONS); the docs pages send
    # anonymous visitors to sign in. Their assets are drf-spectacular-sidecar's static files.
    path(
        "api/docs/",
        login_required(
            SpectacularSwaggerView.as_view(
                url_name="api-schema", template_name="api/swagger_ui.html"
            )
        ),
        name="api-docs",
    ),
    path(
        "api/redoc/",
        login_required(
            csp_replace(REDOC_POLICY)(
                SpectacularRedocView.as_view(url_name="api-schema", template_name="api/redoc.html")
            )
        ),
        name="api-redoc",
    ),
]

handler403 = "portal.views.permission_denied"
handler404 = "portal.views.page_not_found"
handler500 = "portal.views.server_error"
