"""Plotly charts of the supervisor dashboard (HTML fragments; plotly.js comes from static)."""

from __future__ import annotations

import plotly.graph_objects as go
from django.utils.translation import gettext as _

from cases.models import CaseCategory
from cases.selectors.dashboard import DecisionRates, Supervision
from portal.web.charts import figure_html

_LAYOUT = {
    "height": 320,
    "margin": {"l": 48, "r": 16, "t": 40, "b": 64},
    "plot_bgcolor": "#ffffff",
    "paper_bgcolor": "#ffffff",
    "font": {"family": "system-ui, 'PingFang SC', 'Noto Sans CJK SC', sans-serif"},
}


def _html(figure: go.Figure, div_id: str) -> str:
    return figure_html(figure, div_id=div_id, config={"displaylogo": False, "responsive": True})


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


def _percent(share: float | None) -> float | None:
    return None if share is None else round(share * 100, 1)


def decisions_per_officer_html(rates: DecisionRates) -> str:
    weeks = rates.weeks
    figure = go.Figure(
        [
            go.Bar(
                name=officer,
                x=[week.isoformat() for week in weeks],
                y=[
                    rates.weekly[(week, officer)].decisions
                    if (week, officer) in rates.weekly
                    else 0
                    for week in weeks
                ],
            )
            for officer in rates.officers
        ]
    )
    figure.update_layout(
        title=_("Decisions per officer per week"),
        barmode="stack",
        xaxis_title=_("Week starting"),
        yaxis_title=_("Decisions"),
        **_LAYOUT,
    )
    return _html(figure, "chart-rates-decisions")


def _share_lines(rates: DecisionRates, share: str, title: str, div_id: str) -> str:
    weeks = rates.weeks
    figure = go.Figure(
        [
            go.Scatter(
                name=officer,
                mode="lines+markers",
                connectgaps=False,
                x=[week.isoformat() for week in weeks],
                y=[
                    _percent(getattr(rates.weekly[(week, officer)], share))
                    if (week, officer) in rates.weekly
                    else None
                    for week in weeks
                ],
            )
            for officer in rates.officers
        ]
    )
    figure.update_layout(
        title=title,
        xaxis_title=_("Week starting"),
        yaxis={"title": "%", "range": [0, 100]},
        **_LAYOUT,
    )
    return _html(figure, div_id)


def override_share_html(rates: DecisionRates) -> str:
    return _share_lines(
        rates,
        "override_share",
        _("Share of decisions that override the usable limit"),
        "chart-rates-overrides",
    )


def approval_share_html(rates: DecisionRates) -> str:
    return _share_lines(
        rates,
        "approval_share",
        _("Share of reviewed proposals approved (the rest were rejected)"),
        "chart-rates-approvals",
    )
