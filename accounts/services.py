"""Sign-in events for the audit log (PIPL Art. 51: who got into the system, and who tried),
and the second factor: enrolling, checking and removing an authenticator app (TOTP).

Only staff accounts and addresses are recorded. A failed attempt names the account only
when it exists: whatever else was typed into the username box (sometimes a password)
stays out of the append-only log.
"""

from __future__ import annotations

import time

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from audit.actions import AuditAction
from audit.log import audit_record
from portal.errors import Conflict
from portal.permissions import Actor, SystemActor

SIGN_IN = SystemActor("sign-in")


@transaction.atomic
def session_signed_in(*, actor: User, ip_address: str | None, second_factor: bool = False) -> None:
    data: dict[str, object] = {"ip": ip_address}
    if second_factor:
        data["second_factor"] = "totp"
    audit_record(actor=actor, action=AuditAction.AUTH_SIGNED_IN, target=actor, data=data)


@transaction.atomic
def session_signed_out(*, actor: User, ip_address: str | None) -> None:
    audit_record(
        actor=actor, action=AuditAction.AUTH_SIGNED_OUT, target=actor, data={"ip": ip_address}
    )


@transaction.atomic
def sign_in_failed(*, username: str, ip_address: str | None) -> None:
    account = User.objects.filter(username=username).first()
    audit_record(
        actor=SIGN_IN,
        action=AuditAction.AUTH_SIGN_IN_FAILED,
        target=account,
        data={"ip": ip_address, "known_account": account is not None},
    )


@transaction.atomic
def sign_in_locked_out(*, username: str | None, ip_address: str | None) -> None:
    account = User.objects.filter(username=username).first() if username else None
    audit_record(
        actor=SIGN_IN,
        action=AuditAction.AUTH_LOCKED_OUT,
        target=account,
        data={"ip": ip_address, "known_account": account is not None},
    )


@transaction.atomic
def sign_in_delayed(*, username: str, ip_address: str | None, wait_seconds: int) -> None:
    """An attempt refused unchecked because the account's per-account delay had not passed."""
    account = User.objects.filter(username=username).first()
    audit_record(
        actor=SIGN_IN,
        action=AuditAction.AUTH_SIGN_IN_DELAYED,
        target=account,
        data={"ip": ip_address, "known_account": account is not None, "wait": wait_seconds},
    )


# --- second factor (TOTP, django-otp) ------------------------------------------------------

DEVICE_NAME = "authenticator"


def confirmed_totp_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id").first()


def _code_failed(*, user: User, ip_address: str | None, step: str) -> None:
    audit_record(
        actor=user if step != "sign_in" else SIGN_IN,
        action=AuditAction.AUTH_OTP_FAILED,
        target=user,
        data={"ip": ip_address, "step": step},
    )


def _as_token(code: str) -> int | None:
    code = "".join(code.split())
    return int(code) if code.isdigit() and len(code) in (6, 8) else None


WRONG_CODE = _("That code is not right. Enter the current code from your authenticator app.")


def totp_device_confirm(*, actor: User, key: str, code: str, ip_address: str | None) -> TOTPDevice:
    """Enrol ``actor``'s authenticator app: the secret ``key`` (hex) shown to them, confirmed by
    a first code from the app. Raises ``ValidationError`` for a wrong code (audited) and
    ``Conflict`` when the account already has a device."""
    failed = False
    with transaction.atomic():
        if confirmed_totp_device(actor) is not None:
            raise Conflict(_("An authenticator app is already set up for your account."))
        token = _as_token(code)
        totp = TOTP(bytes.fromhex(key), step=30, t0=0, digits=6, drift=0)
        totp.time = time.time()
        if token is None or not totp.verify(token, tolerance=1):
            _code_failed(user=actor, ip_address=ip_address, step="enrolment")
            failed = True
        else:
            device = TOTPDevice.objects.create(
                user=actor, name=DEVICE_NAME, key=key, confirmed=True, last_t=totp.t()
            )
            audit_record(
                actor=actor,
                action=AuditAction.AUTH_OTP_ENROLLED,
                target=actor,
                data={"ip": ip_address, "device": device.pk},
            )
    if failed:  # after the commit, so the audit entry of the failure stays
        raise ValidationError(WRONG_CODE, code="wrong_code")
    return device


def _verify(device: TOTPDevice, code: str) -> bool:
    token = _as_token(code)
    if token is None:
        device.throttle_increment(commit=True)
        return False
    return bool(device.verify_token(token))


def totp_code_check(*, user: User, code: str, ip_address: str | None) -> TOTPDevice:
    """The second step of signing in: ``code`` from ``user``'s confirmed device. Raises
    ``ValidationError`` for a wrong code (audited) or while django-otp's throttle (doubling
    after each wrong code) holds the device."""
    failed = False
    with transaction.atomic():
        device = confirmed_totp_device(user)
        if device is None:
            raise ValidationError(_("This account has no authenticator app."), code="no_device")
        allowed, _details = device.verify_is_allowed()
        if not allowed:
            raise ValidationError(
                _("Too many wrong codes. Wait a minute, then enter the current code."),
                code="throttled",
            )
        if not _verify(device, code):
            _code_failed(user=user, ip_address=ip_address, step="sign_in")
            failed = True
    if failed:
        raise ValidationError(WRONG_CODE, code="wrong_code")
    return device


def totp_device_remove(*, actor: User, code: str, ip_address: str | None) -> None:
    """Remove ``actor``'s authenticator app, proven by a current code from it (a session left
    open on a shared screen cannot switch the second factor off)."""
    failed = False
    with transaction.atomic():
        device = confirmed_totp_device(actor)
        if device is None:
            raise Conflict(_("No authenticator app is set up for your account."))
        allowed, _details = device.verify_is_allowed()
        if not allowed:
            raise ValidationError(
                _("Too many wrong codes. Wait a minute, then enter the current code."),
                code="throttled",
            )
        if not _verify(device, code):
            _code_failed(user=actor, ip_address=ip_address, step="removal")
            failed = True
        else:
            device_id = device.pk
            device.delete()
            audit_record(
                actor=actor,
                action=AuditAction.AUTH_OTP_REMOVED,
                target=actor,
                data={"ip": ip_address, "device": device_id},
            )
    if failed:
        raise ValidationError(WRONG_CODE, code="wrong_code")


@transaction.atomic
def totp_device_reset(*, actor: Actor, username: str) -> int:
    """Remove every authenticator app of ``username`` for someone who lost their phone (run by
    an operator: ``manage.py totp_reset``). Audited; returns how many were removed."""
    user = User.objects.filter(username=username).first()
    if user is None:
        raise ValidationError({"username": _("No staff account has this username.")})
    devices = list(TOTPDevice.objects.filter(user=user).values_list("pk", flat=True))
    TOTPDevice.objects.filter(pk__in=devices).delete()
    for device_id in devices:
        audit_record(
            actor=actor,
            action=AuditAction.AUTH_OTP_REMOVED,
            target=user,
            data={"device": device_id, "reset": True},
        )
    return len(devices)
