"""manage.py check refuses a database setting the audit chain cannot work with."""

from __future__ import annotations

import copy

from django.conf import settings

from audit.checks import binding_errors, client_side_binding


def test_the_default_client_side_binding_passes() -> None:
    assert client_side_binding() == []


def test_server_side_binding_is_refused_by_name() -> None:
    databases = copy.deepcopy(settings.DATABASES)
    databases["default"]["ENGINE"] = "django.db.backends.postgresql"
    databases["default"].setdefault("OPTIONS", {})["server_side_binding"] = True
    errors = binding_errors(databases)
    assert [error.id for error in errors] == ["audit.E001"]
    assert "server_side_binding" in errors[0].msg
