"""The auditor's page of the personal-data access log: HTTP only (reads in access_log)."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

import plotly.graph_objects as go
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from compliance.access.selectors import (
    UNUSUAL_FACTOR,
    UNUSUAL_MIN_REVEALS,
    AccessFilters,
    AccessLogFilterForm,
    VolumeReport,
    access_page,
    field_labels,
    unusual_volume,
)
from compliance.permissions import can_view_access_log
from portal.web.charts import figure_html

PAGE_SIZE = 50
# The unusual-volume panel looks at the filtered window, or at the last 30 days.
DEFAULT_VOLUME_DAYS = 30

_CHART_LAYOUT = {
    "height": 320,
    "margin": {"l": 48, "r": 16, "t": 40, "b": 80},
    "plot_bgcolor": "#ffffff",
    "paper_bgcolor": "#ffffff",
    "font": {"family": "system-ui, 'PingFang SC', 'Noto Sans CJK SC', sans-serif"},
    "showlegend": False,
}


def volume_chart_html(report: VolumeReport) -> str:
    """Reveals per person as bars (flagged ones in red) with the median as a dashed line."""
    figure = go.Figure(
        go.Bar(
            x=[actor.username for actor in report.actors],
            y=[actor.reveals for actor in report.actors],
            marker_color=["#b42318" if actor.flagged else "#1f4e8c" for actor in report.actors],
            hovertemplate="%{x}: %{y}<extra></extra>",
        )
    )
    figure.add_hline(
        y=report.median,
        line_dash="dash",
        line_color="#667085",
        annotation_text=_("median %(median)s") % {"median": f"{report.median:g}"},
        annotation_position="top left",
    )
    figure.update_layout(title=_("Reveals per person"), yaxis_title=_("Reveals"), **_CHART_LAYOUT)
    return figure_html(
        figure, div_id="chart-access-volume", config={"displaylogo": False, "responsive": True}
    )


def _export_links(filters: AccessFilters) -> dict[str, str] | None:
    """CSV and JSON export links of the filtered log, once the export route exists."""
    try:
        base = reverse("compliance:export", args=["access"])
    except NoReverseMatch:
        return None
    params = filters.as_params()
    return {fmt: f"{base}?{urlencode({**params, 'format': fmt})}" for fmt in ("csv", "json")}


@login_required
@require_http_methods(["GET", "HEAD"])
def access_log(request: HttpRequest) -> HttpResponse:
    """Filter the log, page through it newest first, and see who revealed unusually much."""
    if not can_view_access_log(request.user):
        raise PermissionDenied
    form = AccessLogFilterForm(request.GET)
    if not form.is_valid():
        return render(
            request, "compliance/access_log.html", {"form": form, "page": None}, status=400
        )
    filters = form.filters()
    page = access_page(
        filters,
        before=form.cleaned_data.get("before"),
        after=form.cleaned_data.get("after"),
        page_size=PAGE_SIZE,
    )
    # The form keeps both times within the years the portal accepts
    # (``portal.dates.year_in_range``), so stepping back the default window cannot overflow.
    until = filters.until or timezone.now()
    since = filters.since or until - timedelta(days=DEFAULT_VOLUME_DAYS)
    volume = unusual_volume(since, until)
    return render(
        request,
        "compliance/access_log.html",
        {
            "form": form,
            "page": page,
            "rows": [(row, field_labels(row.fields)) for row in page.rows],
            "filtered": filters != AccessFilters(),
            "volume": volume,
            "volume_chart": volume_chart_html(volume) if volume.actors else "",
            "unusual_factor": UNUSUAL_FACTOR,
            "unusual_min": UNUSUAL_MIN_REVEALS,
            "export_links": _export_links(filters),
        },
    )
