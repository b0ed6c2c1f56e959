"""Signal receivers: thin hand-overs to services, nothing else."""

from __future__ import annotations

from typing import Any

from accounts import services


def audit_lockout(
    sender: Any, *, username: str | None = None, ip_address: str | None = None, **kwargs: Any
) -> None:
    services.sign_in_locked_out(username=username, ip_address=ip_address)
