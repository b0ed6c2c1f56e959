"""Plotly figures as an element the page's static ``js/charts.js`` draws.

The figure and its config travel as JSON in ``data-`` attributes (escaped as any attribute
value), so a chart needs no inline script and the Content-Security-Policy can refuse them
all; ``plotly.min.js`` and ``charts.js`` are static files.
"""

from __future__ import annotations

import json
from typing import Any

import plotly.graph_objects as go
from django.utils.html import format_html
from django.utils.safestring import SafeString


def figure_html(figure: go.Figure, *, div_id: str, config: dict[str, Any]) -> SafeString:
    return format_html(
        '<div id="{}" class="chart" data-plotly-figure="{}" data-plotly-config="{}"></div>',
        div_id,
        figure.to_json(),
        json.dumps(config),
    )
