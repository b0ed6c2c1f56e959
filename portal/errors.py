"""Domain exceptions shared by every app's services (mapped to HTTP in one place)."""

from __future__ import annotations

from django.core.exceptions import ValidationError


class Conflict(ValidationError):
    """The request is valid but clashes with the current state (stale version, already done).

    Views show it as a message; the API answers 409.
    """
