"""Staff administration under four-eyes: every change to someone's roles or activation is
proposed by one administrator and applied only when a second one approves.

- nobody proposes or approves a change about themselves;
- the proposer never approves their own proposal;
- roles that review each other are never held together (segregation of duties);
- every step (proposal, approval with its application, rejection, refusal) is an audit entry
  with the old and new roles; an applied change is a history row on the user.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import RoleChangeRequest, RoleChangeState, StaffChangeKind, User
from accounts.permissions import can_administer_staff, can_decide_staff_change
from accounts.roles import ROLE_LABELS, Role
from audit.actions import AuditAction
from audit.changes import record_change
from audit.log import audit_record
from portal.errors import Conflict

F = TypeVar("F", bound=Callable[..., Any])

REASON_MAX_LENGTH = 500

# Pairs of roles where one reviews the other's work: never held by one person.
CONFLICTING_ROLES: tuple[tuple[Role, Role], ...] = (
    (Role.ADMIN, Role.PRIVACY_OFFICER),
    (Role.ADMIN, Role.COMPLIANCE_AUDITOR),
    (Role.RISK_OFFICER, Role.COMPLIANCE_AUDITOR),
)


def current_roles(user: User) -> list[str]:
    return sorted(user.groups.filter(name__in=list(Role)).values_list("name", flat=True))


def role_conflicts(roles: Iterable[str]) -> list[tuple[Role, Role]]:
    held = set(roles)
    return [(a, b) for a, b in CONFLICTING_ROLES if a in held and b in held]


def _clean_roles(roles: Iterable[str]) -> list[str]:
    roles = list(dict.fromkeys(roles))
    unknown = [role for role in roles if role not in set(Role)]
    if unknown:
        raise ValidationError(
            {"roles": _("Unknown role: %(roles)s.") % {"roles": ", ".join(unknown)}}
        )
    conflicts = role_conflicts(roles)
    if conflicts:
        raise ValidationError(
            {
                "roles": [
                    ValidationError(
                        _(
                            "%(first)s and %(second)s review each other's work: one person "
                            "cannot hold both roles."
                        )
                        % {"first": ROLE_LABELS[a], "second": ROLE_LABELS[b]},
                        code="conflicting_roles",
                    )
                    for a, b in conflicts
                ]
            }
        )
    return sorted(roles)


def _clean_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why this change is needed.")})
    if len(reason) > REASON_MAX_LENGTH:
        raise ValidationError({"reason": _("At most %(n)d characters.") % {"n": REASON_MAX_LENGTH}})
    return reason


class Refused(PermissionDenied):
    """A staff change refused by the four-eyes rules (who may do what to whom)."""

    def __init__(self, message: str, why: str) -> None:
        super().__init__(message)
        self.why = why


def _refusals_audited(what: str) -> Callable[[F], F]:
    """Run the service; when it refuses (``Refused``, or roles that conflict) write a
    ``staff.change_refused`` entry after its transaction rolled back, then re-raise."""

    def decorator(service: F) -> F:
        @wraps(service)
        def run(*, actor: User, **kwargs: Any) -> Any:
            try:
                return service(actor=actor, **kwargs)
            except (Refused, ValidationError) as exc:
                if isinstance(exc, Refused) or _is_conflict_of_roles(exc):
                    with transaction.atomic():
                        audit_record(
                            actor=actor,
                            action=AuditAction.STAFF_CHANGE_REFUSED,
                            target=_target_of(kwargs),
                            data={
                                "what": what,
                                "why": exc.why if isinstance(exc, Refused) else "conflicting_roles",
                            },
                        )
                raise

        return run  # type: ignore[return-value]

    return decorator


def _is_conflict_of_roles(exc: ValidationError) -> bool:
    if not hasattr(exc, "error_dict"):
        return False
    return any(error.code == "conflicting_roles" for error in exc.error_dict.get("roles", []))


def _target_of(kwargs: dict[str, Any]) -> tuple[str, str] | None:
    if "user_id" in kwargs:
        return ("accounts.user", str(kwargs["user_id"]))
    if "request_id" in kwargs:
        return ("accounts.rolechangerequest", str(kwargs["request_id"]))
    return None


NOT_ADMIN = "not_admin"
OWN_ACCOUNT = "own_account"
OWN_PROPOSAL = "own_proposal"


def _refused(why: str) -> Refused:
    messages = {
        NOT_ADMIN: _("Only administrators manage staff."),
        OWN_ACCOUNT: _("Nobody changes their own account: ask another administrator."),
        OWN_PROPOSAL: _("A second administrator, not the proposer, decides on this change."),
    }
    return Refused(messages[why], why)


def _ensure_admin(actor: User, user: User | None) -> None:
    if not can_administer_staff(actor):
        raise _refused(NOT_ADMIN)
    if user is not None and user.pk == actor.pk:
        raise _refused(OWN_ACCOUNT)


def _propose(
    *, actor: User, user: User, kind: str, roles_requested: list[str], reason: str
) -> RoleChangeRequest:
    roles_before = current_roles(user)
    try:
        with transaction.atomic():
            change = RoleChangeRequest.objects.create(
                user=user,
                kind=kind,
                roles_before=roles_before,
                roles_requested=roles_requested,
                reason=reason,
                proposed_by=actor,
            )
    except IntegrityError:
        raise Conflict(
            _("A change to this account is already waiting for approval: decide on it first.")
        ) from None
    audit_record(
        actor=actor,
        action=AuditAction.STAFF_CHANGE_PROPOSED,
        target=user,
        data={
            "request": change.pk,
            "kind": kind,
            "old_roles": roles_before,
            "new_roles": roles_requested,
            "active": user.is_active,
        },
    )
    return change


@_refusals_audited("roles")
@transaction.atomic
def staff_roles_propose(
    *, actor: User, user_id: int, roles: Iterable[str], reason: str
) -> RoleChangeRequest:
    """Propose that ``user_id`` hold exactly ``roles``; applied when another admin approves."""
    user = User.objects.select_for_update().filter(pk=user_id).first()
    if user is None:
        raise ValidationError({"user": _("No staff account has this id.")})
    _ensure_admin(actor, user)
    requested = _clean_roles(roles)
    reason = _clean_reason(reason)
    if requested == current_roles(user):
        raise Conflict({"roles": _("These are already the account's roles.")})
    return _propose(
        actor=actor, user=user, kind=StaffChangeKind.ROLES, roles_requested=requested, reason=reason
    )


@_refusals_audited("invite")
@transaction.atomic
def staff_invite(
    *,
    actor: User,
    username: str,
    email: str,
    first_name: str = "",
    last_name: str = "",
    roles: Iterable[str],
    reason: str,
) -> RoleChangeRequest:
    """Create an inactive account without roles or password, and propose its roles; it
    becomes active with them when another administrator approves."""
    _ensure_admin(actor, None)
    requested = _clean_roles(roles)
    if not requested:
        raise ValidationError({"roles": _("Choose at least one role.")})
    reason = _clean_reason(reason)
    username = (username or "").strip()
    if not username:
        raise ValidationError({"username": _("Enter a username.")})
    if User.objects.filter(username__iexact=username).exists():
        raise Conflict({"username": _("A staff account with this username exists already.")})
    user = User(
        username=username,
        email=(email or "").strip(),
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        is_active=False,
    )
    user.set_unusable_password()
    user.full_clean(exclude=["password"])
    record_change(user, actor=actor, action=AuditAction.STAFF_INVITED, data={"roles": requested})
    return _propose(
        actor=actor,
        user=user,
        kind=StaffChangeKind.INVITE,
        roles_requested=requested,
        reason=reason,
    )


@_refusals_audited("activation")
@transaction.atomic
def staff_activation_propose(
    *, actor: User, user_id: int, active: bool, reason: str
) -> RoleChangeRequest:
    """Propose to deactivate (``active=False``) or reactivate an account."""
    user = User.objects.select_for_update().filter(pk=user_id).first()
    if user is None:
        raise ValidationError({"user": _("No staff account has this id.")})
    kind = StaffChangeKind.REACTIVATE if active else StaffChangeKind.DEACTIVATE
    _ensure_admin(actor, user)
    reason = _clean_reason(reason)
    if user.is_active == active:
        raise Conflict(
            _("The account is already active.") if active else _("The account is already inactive.")
        )
    roles = current_roles(user)
    return _propose(actor=actor, user=user, kind=kind, roles_requested=roles, reason=reason)


def _load_for_decision(actor: User, request_id: int) -> RoleChangeRequest:
    change = (
        RoleChangeRequest.objects.select_for_update()
        .select_related("user", "proposed_by")
        .filter(pk=request_id)
        .first()
    )
    if change is None:
        raise RoleChangeRequest.DoesNotExist
    if not can_decide_staff_change(actor, change):
        if not can_administer_staff(actor):
            raise _refused(NOT_ADMIN)
        if change.user_id == actor.pk:
            raise _refused(OWN_ACCOUNT)
        raise _refused(OWN_PROPOSAL)
    if change.state != RoleChangeState.PROPOSED:
        raise Conflict(_("This change has already been decided."))
    return change


@_refusals_audited("approve")
@transaction.atomic
def staff_change_approve(*, actor: User, request_id: int, comment: str = "") -> RoleChangeRequest:
    """Approve a proposed change and apply it: roles set, account (de)activated."""
    change = _load_for_decision(actor, request_id)
    user = User.objects.select_for_update().get(pk=change.user_id)
    old_roles = current_roles(user)
    if old_roles != change.roles_before and change.kind != StaffChangeKind.DEACTIVATE:
        raise Conflict(
            _("The account's roles changed since this was proposed: reject it and propose again.")
        )
    new_roles = _clean_roles(change.roles_requested)
    if change.kind in (StaffChangeKind.ROLES, StaffChangeKind.INVITE):
        keep = user.groups.exclude(name__in=list(Role))
        user.groups.set([*keep, *Group.objects.filter(name__in=new_roles)])
    if change.kind in (StaffChangeKind.INVITE, StaffChangeKind.REACTIVATE):
        user.is_active = True
    elif change.kind == StaffChangeKind.DEACTIVATE:
        user.is_active = False
    user.is_staff = Role.ADMIN in new_roles and user.is_active
    change.state = RoleChangeState.APPLIED
    change.decided_by = actor
    change.decided_at = timezone.now()
    change.comment = (comment or "").strip()[:REASON_MAX_LENGTH]
    change.save(update_fields=["state", "decided_by", "decided_at", "comment"])
    record_change(
        user,
        actor=actor,
        action=AuditAction.STAFF_CHANGE_APPROVED,
        ref=f"#{change.pk}",
        detail=f"{change.kind}: {','.join(old_roles) or '-'} -> {','.join(new_roles) or '-'}",
        update_fields=["is_active", "is_staff"],
        data={
            "request": change.pk,
            "kind": change.kind,
            "proposed_by": change.proposed_by.username,
            "old_roles": old_roles,
            "new_roles": new_roles,
            "active": user.is_active,
        },
    )
    return change


@_refusals_audited("reject")
@transaction.atomic
def staff_change_reject(*, actor: User, request_id: int, comment: str) -> RoleChangeRequest:
    change = _load_for_decision(actor, request_id)
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError({"comment": _("Say why the change is rejected.")})
    change.state = RoleChangeState.REJECTED
    change.decided_by = actor
    change.decided_at = timezone.now()
    change.comment = comment[:REASON_MAX_LENGTH]
    change.save(update_fields=["state", "decided_by", "decided_at", "comment"])
    audit_record(
        actor=actor,
        action=AuditAction.STAFF_CHANGE_REJECTED,
        target=change.user,
        data={
            "request": change.pk,
            "kind": change.kind,
            "old_roles": change.roles_before,
            "new_roles": change.roles_requested,
        },
    )
    return change
