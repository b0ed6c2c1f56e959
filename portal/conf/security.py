"""The Content-Security-Policy of every response (django-csp 4).

Scripts and styles come from this origin only: plotly.js, the Swagger UI and ReDoc bundles
are static files from installed packages, the portal's own behaviour is in files under
``static/``, and chart data travels in ``data-`` attributes. The one inline ``<script>`` or
``<style>`` a page may hold carries the request's nonce (``request.csp_nonce``); nothing
needs ``'unsafe-inline'`` or ``'unsafe-eval'``. ``data:`` images are the icons Swagger UI
and plotly draw from their own stylesheets and code, not a remote source.
"""

from __future__ import annotations

from typing import Any

from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE

CONTENT_SECURITY_POLICY: dict[str, Any] = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
    },
}

# ReDoc's bundle (styled-components) writes <style> elements before any nonce can reach it
# and sets style attributes, which no nonce covers, and runs its search in a worker made
# from a blob: its one page (/api/redoc/, staff only) allows inline styles and blob workers,
# still from no other origin. Scripts stay as strict as everywhere. (The bundle's
# attribution logo from cdn.redoc.ly is refused by img-src and never loaded.)
REDOC_POLICY: dict[str, Any] = {
    "style-src": [SELF, UNSAFE_INLINE],
    "worker-src": [SELF, "blob:"],
}
