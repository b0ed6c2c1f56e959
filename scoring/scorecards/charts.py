"""The charts of the assessment and scorecard pages (plotly HTML fragments; the page loads
plotly's JS from static files): an assessment's waterfall and a shadow comparison's score
histograms."""

from __future__ import annotations

import plotly.graph_objects as go
from django.utils.translation import gettext as _

from portal.web.charts import figure_html
from scoring.models import (
    Assessment,
)
from scoring.scorecards.labels import (
    bin_label,
    characteristic_label,
)

# --- waterfall --------------------------------------------------------------------------------


def waterfall_figure(assessment: Assessment) -> go.Figure:
    """Base points, then each characteristic's points, then the score; the cut-off as a
    dashed horizontal line. Labels in the active language."""
    contributions = assessment.contributions or []
    x = [characteristic_label(c["characteristic"], c.get("feature", "")) for c in contributions] + [
        _("Score")
    ]
    y = [c["points"] for c in contributions] + [assessment.score or 0]
    measure = ["absolute"] + ["relative"] * (len(contributions) - 1) + ["total"]
    hover = [
        _("Base points")
        if c["characteristic"] == "base"
        else _("%(bin)s: %(points)d of %(max)d points")
        % {"bin": bin_label(str(c.get("bin", ""))), "points": c["points"], "max": c["max_points"]}
        for c in contributions
    ] + [_("Score")]
    figure = go.Figure(
        go.Waterfall(
            x=x,
            y=y,
            measure=measure,
            text=[str(v) for v in y],
            textposition="outside",
            hovertext=hover,
            hoverinfo="text",
            connector={"line": {"color": "#9aa5b1"}},
            increasing={"marker": {"color": "#2f7d4f"}},
            decreasing={"marker": {"color": "#b3261e"}},
            totals={"marker": {"color": "#1f4e8c"}},
        )
    )
    cutoff = assessment.cutoff
    values = [v for v in (*_running_totals(y[:-1]), cutoff) if v is not None]
    low = max(0, min(values, default=0) - 60)
    high = max(values, default=0) + 40
    if cutoff is not None:
        figure.add_hline(
            y=cutoff,
            line_dash="dash",
            line_color="#b3261e",
            annotation_text=_("Cut-off %(cutoff)d") % {"cutoff": cutoff},
            annotation_position="top left",
        )
    figure.update_layout(
        title=_("How the score was reached"),
        yaxis={"title": _("Points"), "range": [low, high]},
        showlegend=False,
        margin={"l": 50, "r": 20, "t": 50, "b": 100},
        height=420,
    )
    return figure


def _running_totals(values: list[int]) -> list[int]:
    totals, running = [], 0
    for value in values:
        running += value
        totals.append(running)
    return totals


def waterfall_html(assessment: Assessment) -> str:
    """The chart as an HTML fragment; the page loads plotly's JS from static files."""
    return figure_html(
        waterfall_figure(assessment),
        div_id=f"waterfall-{assessment.pk}",
        config={"displayModeBar": False, "responsive": True},
    )


def comparison_histogram_html(
    champion_scores: list[int],
    challenger_scores: list[int],
    *,
    champion_version: int,
    challenger_version: int,
    champion_cutoff: int,
    challenger_cutoff: int,
) -> str:
    """Overlaid score histograms of a shadow comparison, with both cut-offs."""
    figure = go.Figure()
    for scores, version, colour in (
        (champion_scores, champion_version, "#1f4e8c"),
        (challenger_scores, challenger_version, "#c77c02"),
    ):
        figure.add_trace(
            go.Histogram(
                x=scores,
                name=_("v%(version)d") % {"version": version},
                opacity=0.6,
                xbins={"size": 10},
                marker={"color": colour},
            )
        )
    for cutoff, version in (
        (champion_cutoff, champion_version),
        (challenger_cutoff, challenger_version),
    ):
        figure.add_vline(
            x=cutoff,
            line_dash="dash",
            annotation_text=_("cut-off v%(version)d") % {"version": version},
        )
    figure.update_layout(
        barmode="overlay",
        title=_("Score distribution"),
        xaxis={"title": _("Score")},
        yaxis={"title": _("Customers")},
        height=380,
        margin={"l": 50, "r": 20, "t": 50, "b": 50},
    )
    return figure_html(
        figure, div_id="score-histogram", config={"displayModeBar": False, "responsive": True}
    )
