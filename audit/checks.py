"""System checks for what the audit chain's fast paths assume of the database connection.

``compliance.audit`` sends the chain lock and the append (and, with ``commit=True``, the
COMMIT) as several statements in one ``execute``, and claim-next does the same with the
officer's lock and the claim. psycopg allows that only with client-side parameter binding,
Django's default for PostgreSQL; with ``server_side_binding`` every audited write would
fail at run time, so ``manage.py check`` (and every deploy) refuses it up front.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register


@register()
def client_side_binding(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    return binding_errors(settings.DATABASES)


def binding_errors(databases: Mapping[str, Mapping[str, Any]]) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    for alias, database in databases.items():
        if "postgresql" not in database.get("ENGINE", ""):
            continue
        if database.get("OPTIONS", {}).get("server_side_binding"):
            errors.append(
                Error(
                    f"DATABASES[{alias!r}] sets server_side_binding: the audit chain's "
                    "append sends several statements in one execute, which psycopg allows "
                    "only with client-side binding.",
                    hint="Remove OPTIONS['server_side_binding'] (Django's default is False).",
                    id="audit.E001",
                )
            )
    return errors
