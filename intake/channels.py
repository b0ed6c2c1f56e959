"""Partner channels and upstream systems: their API keys, and authenticating a request by one.

A channel calls the channel endpoints (``POST /api/v1/feedback/``, ``POST /api/v1/signals/``)
with ``Authorization: Api-Key <prefix>.<secret>``. Keys are made by
djangorestframework-api-key's generator and stored hashed (SHA-512 of a 32-character random
secret); the plaintext is returned once, by ``channel_key_create``, and never stored. A key
is revoked, never deleted, so every earlier use stays attributable.

During a request ``request.user`` is a ``ChannelActor`` (not a staff user: it has no
permissions at all), and ``request_channel(request)`` gives its ``Channel``. Each use updates
the key's ``last_used_at`` (at most once a minute, one conditional UPDATE) and writes a log
line with the channel code, the key prefix, the method and the path: no personal data.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request

from accounts.models import User
from audit.actions import AuditAction
from audit.changes import record_change
from audit.history_rows import history_user
from audit.log import audit_record
from intake.models import Channel, ChannelKey
from intake.permissions import (
    ensure_can_change_channels,
    ensure_can_create_channel_keys,
    ensure_can_create_channels,
    ensure_can_revoke_channel_keys,
)
from portal.errors import Conflict
from portal.permissions import ChannelActor, SystemActor

logger = logging.getLogger(__name__)

Actor = User | SystemActor

KEYWORD = "Api-Key"
# ``last_used_at`` is a "when was this key last seen" mark, not a log: once a minute is enough
# and keeps a busy channel from writing its key row on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)
KEY_NAME_MAX_LENGTH = 50  # AbstractAPIKey.name


def channel_actor(channel: Channel) -> ChannelActor:
    """The actor a channel's writes are recorded as (``system:channel:<code>``)."""
    return ChannelActor(channel)


def request_channel(request: Any) -> Channel | None:
    """The channel that authenticated ``request``, or ``None`` (staff, anonymous)."""
    user = getattr(request, "user", None)
    return user.channel if isinstance(user, ChannelActor) else None


class ChannelKeyAuthentication(BaseAuthentication):
    """``Authorization: Api-Key <key>`` → ``(ChannelActor(channel), ChannelKey)``.

    No ``Api-Key`` credential → ``None`` (another authenticator may answer). A wrong,
    revoked or expired key, or a disabled channel → 401. ``authenticate_header`` makes
    DRF answer 401 (with ``WWW-Authenticate: Api-Key``) rather than 403 when a channel
    view is called without credentials.
    """

    def authenticate(self, request: Request) -> tuple[ChannelActor, ChannelKey] | None:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        keyword, _space, key = header.partition(" ")
        if keyword.lower() != KEYWORD.lower():
            return None
        key = key.strip()
        if not key or " " in key or len(key) > 200:
            raise exceptions.AuthenticationFailed(_("Invalid API key."))
        channel_key = _key_for(key)
        now = timezone.now()
        if channel_key.revoked:
            raise exceptions.AuthenticationFailed(_("This API key has been revoked."))
        if channel_key.expiry_date is not None and channel_key.expiry_date <= now:
            raise exceptions.AuthenticationFailed(_("This API key has expired."))
        if not channel_key.channel.active:
            raise exceptions.AuthenticationFailed(_("This channel is disabled."))
        _mark_used(channel_key, now)
        logger.info(
            "channel request channel=%s key=%s method=%s path=%s",
            channel_key.channel.code,
            channel_key.prefix,
            request.method,
            request.path,
        )
        return ChannelActor(channel_key.channel), channel_key

    def authenticate_header(self, request: Request) -> str:
        return KEYWORD


def _key_for(key: str) -> ChannelKey:
    """The key row whose hash matches ``key`` (revoked ones included, so the caller can be
    told it was revoked; the hash is checked first, so only the key's holder learns that)."""
    prefix, _dot, _secret = key.partition(".")
    channel_key = (
        ChannelKey.objects.select_related("channel").filter(prefix=prefix).first()
        if prefix
        else None
    )
    if channel_key is None or not channel_key.is_valid(key):
        raise exceptions.AuthenticationFailed(_("Invalid API key."))
    return channel_key


def _mark_used(channel_key: ChannelKey, now: datetime) -> None:
    last = channel_key.last_used_at
    if last is not None and now - last < LAST_USED_RESOLUTION:
        return
    # One conditional UPDATE: of many concurrent requests in the same minute, one writes.
    ChannelKey.objects.filter(pk=channel_key.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_RESOLUTION)
    ).update(last_used_at=now)
    channel_key.last_used_at = now


class ChannelKeyScheme(OpenApiAuthenticationExtension):
    """The API key scheme in the OpenAPI schema."""

    target_class = ChannelKeyAuthentication
    name = "ChannelApiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": (
                'A channel\'s API key, sent as "Api-Key <key>". An administrator creates '
                "and revokes keys; each channel reaches only its own endpoints."
            ),
        }


# --- services: channels and their keys ----------------------------------------------------------


def _validate_channel(*, code: str, name: str, kind: str) -> None:
    errors: dict[str, list[str]] = {}
    if (
        not code
        or len(code) > 40
        or not all(c.isascii() and (c.isalnum() or c in "-_") for c in code)
    ):
        errors["code"] = [_("Use 1 to 40 letters, digits, hyphens or underscores.")]
    if not name.strip() or len(name) > 100:
        errors["name"] = [_("Give the channel a name of at most 100 characters.")]
    if kind not in Channel.Kind.values:
        errors["kind"] = [_("Choose a partner channel or an upstream system.")]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def channel_create(
    *, actor: Actor, code: str, name: str, kind: str, active: bool = True
) -> Channel:
    """A new channel (``code`` is unique); audited as ``channel.created``."""
    ensure_can_create_channels(actor)
    code = (code or "").strip()
    name = (name or "").strip()
    _validate_channel(code=code, name=name, kind=kind)
    if Channel.objects.filter(code=code).exists():
        raise ValidationError({"code": [_("A channel with this code already exists.")]})
    channel = Channel(code=code, name=name, kind=kind, active=active)
    return record_change(
        channel,
        actor=actor,
        action=AuditAction.CHANNEL_CREATED,
        force_insert=True,
        data={"code": code, "kind": kind, "active": active},
    )


@transaction.atomic
def channel_update(*, actor: Actor, channel_id: int, name: str, kind: str, active: bool) -> Channel:
    """Rename a channel, change its kind, or enable/disable it (a disabled channel's keys
    all answer 401). The code never changes: it names the channel in logs and audit."""
    ensure_can_change_channels(actor)
    channel = Channel.objects.select_for_update().get(pk=channel_id)
    name = (name or "").strip()
    _validate_channel(code=channel.code, name=name, kind=kind)
    before = {"kind": channel.kind, "active": channel.active}
    channel.name, channel.kind, channel.active = name, kind, active
    return record_change(
        channel,
        actor=actor,
        action=AuditAction.CHANNEL_UPDATED,
        update_fields=["name", "kind", "active"],
        data={"before": before, "kind": kind, "active": active},
    )


@transaction.atomic
def channel_key_create(
    *,
    actor: Actor,
    channel_id: int,
    name: str,
    expiry_date: datetime | None = None,
) -> tuple[ChannelKey, str]:
    """A new key for the channel: ``(key row, plaintext)``. The plaintext exists only in
    this return value (show it once); the row holds its prefix and hash. Audited as
    ``channel.key_created`` with the prefix only."""
    ensure_can_create_channel_keys(actor)
    name = (name or "").strip()
    if not name or len(name) > KEY_NAME_MAX_LENGTH:
        raise ValidationError(
            {"name": [_("Give the key a name of at most %(n)d characters.") % {"n": 50}]}
        )
    if expiry_date is not None and expiry_date <= timezone.now():
        raise ValidationError({"expiry_date": [_("The expiry date must be in the future.")]})
    channel = Channel.objects.filter(pk=channel_id).first()
    if channel is None:
        raise ValidationError({"channel": [_("Choose an existing channel.")]})
    created, plaintext = ChannelKey.objects.create_key(
        name=name,
        channel=channel,
        expiry_date=expiry_date,
        created_by=history_user(actor),
    )
    key = cast(ChannelKey, created)
    audit_record(
        actor=actor,
        action=AuditAction.CHANNEL_KEY_CREATED,
        target=channel,
        data={
            "channel": channel.code,
            "key_prefix": key.prefix,
            "expires": expiry_date.isoformat() if expiry_date else None,
        },
    )
    return key, plaintext


@transaction.atomic
def channel_key_revoke(*, actor: Actor, key_id: str) -> ChannelKey:
    """Revoke a key for good (it answers 401 from now on). Revoking twice is a 409."""
    ensure_can_revoke_channel_keys(actor)
    key = ChannelKey.objects.select_for_update().select_related("channel").filter(pk=key_id).first()
    if key is None:
        raise ValidationError({"key": [_("Choose an existing API key.")]})
    if key.revoked:
        raise Conflict(_("This API key is already revoked."), code="already_revoked")
    key.revoked = True
    key.revoked_at = timezone.now()
    key.save(update_fields=["revoked", "revoked_at"])
    audit_record(
        actor=actor,
        action=AuditAction.CHANNEL_KEY_REVOKED,
        target=key.channel,
        data={"channel": key.channel.code, "key_prefix": key.prefix},
    )
    return key
