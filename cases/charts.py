"""Plotly charts of the supervisor dashboard (HTML fragments; plotly.js comes from static)."""

from __future__ import annotations

import plotly.graph_objects as go
from django.utils.translation import gettext as _

from cases.models import CaseCategory
from cases.selectors import Supervision

_LAYOUT = {
    "height": 320,
    "margin": {"l": 48, "r": 16, "t": 40, "b": 64},
    "plot_bgcolor": "#ffffff",
    "paper_bgcolor": "#ffffff",
    "font": {"family": "system-ui, 'PingFang SC', 'Noto Sans CJK SC', sans-serif"},
}


def _html(figure: go.Figure, div_id: str) -> str:
    return str(
        figure.to_html(
            full_html=False,
            include_plotlyjs=False,
            div_id=div_id,
            config={"displaylogo": False, "responsive": True},
        )
    )


def queue_depth_html(summary: Supervision) -> str:
    labels = [str(CaseCategory(category).label) for category, _n in summary.by_category]
    figure = go.Figure(
        go.Bar(x=labels, y=[n for _c, n in summary.by_category], marker_color="#1f4e8c")
    )
    figure.update_layout(title=_("Open cases by category"), yaxis_title=_("Cases"), **_LAYOUT)
    return _html(figure, "chart-queue-depth")


def closed_per_officer_html(summary: Supervision) -> str:
    officers = sorted({officer for _day, officer, _n in summary.closed_per_officer_day})
    days = sorted({day for day, _officer, _n in summary.closed_per_officer_day})
    counts = {(day, officer): n for day, officer, n in summary.closed_per_officer_day}
    figure = go.Figure(
        [
            go.Bar(
                name=officer,
                x=[day.isoformat() for day in days],
                y=[counts.get((day, officer), 0) for day in days],
            )
            for officer in officers
        ]
    )
    figure.update_layout(
        title=_("Cases closed per officer per day"),
        barmode="stack",
        yaxis_title=_("Cases"),
        **_LAYOUT,
    )
    return _html(figure, "chart-closed")
