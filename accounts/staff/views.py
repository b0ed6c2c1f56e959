"""Staff administration pages: the staff list with waiting changes, one account's page
(propose roles, deactivate or reactivate), inviting, and approving or rejecting another
administrator's proposal. HTTP only: every change goes through ``accounts.staff.services``.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import RoleChangeRequest, User
from accounts.permissions import can_administer_staff
from accounts.roles import role_labels
from accounts.staff import selectors, services
from accounts.staff.forms import ActivationForm, InviteForm, RolesForm
from portal.errors import Conflict
from portal.views import audit_access_denied
from portal.web.forms import add_service_errors
from portal.web.permissions import rule_required


def _refused(request: HttpRequest, exc: PermissionDenied) -> None:
    audit_access_denied(request.user, request.method or "", request.path)
    messages.error(request, str(exc) or _("You may not do this."))


def _with_labels(changes: list[RoleChangeRequest]) -> list[RoleChangeRequest]:
    for change in changes:
        change.before_names = role_labels(change.roles_before)  # type: ignore[attr-defined]
        change.requested_names = role_labels(change.roles_requested)  # type: ignore[attr-defined]
    return changes


@require_GET
@login_required
@rule_required(can_administer_staff)
def staff_list_view(request: HttpRequest) -> HttpResponse:
    users = selectors.staff_list()
    for user in users:
        user.role_labels = role_labels(user.role_names)  # type: ignore[attr-defined]
    pending = _with_labels(list(selectors.staff_changes_pending()))
    for change in pending:
        change.can_decide = selectors.staff_change_can_decide(  # type: ignore[attr-defined]
            request.user, change
        )
    recent = _with_labels(list(selectors.staff_changes_recent()))
    return render(
        request,
        "accounts/staff/list.html",
        {"users": users, "pending": pending, "recent": recent},
    )


def _user_or_404(pk: int) -> User:
    user = User.objects.filter(pk=pk).first()
    if user is None:
        raise Http404
    return user


@require_http_methods(["GET", "POST"])
@login_required
@rule_required(can_administer_staff)
def staff_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the account with its roles and forms. POST: propose new roles."""
    user = _user_or_404(pk)
    roles_form = RolesForm(
        request.POST if request.method == "POST" else None,
        initial={"roles": selectors.staff_role_codes(user)},
    )
    status = 200
    if request.method == "POST":
        status = 400
        if roles_form.is_valid():
            try:
                services.staff_roles_propose(
                    actor=request.user,  # type: ignore[arg-type]
                    user_id=user.pk,
                    roles=roles_form.cleaned_data["roles"],
                    reason=roles_form.cleaned_data["reason"],
                )
            except PermissionDenied as exc:
                _refused(request, exc)
                status = 403
            except Conflict as exc:
                for message in exc.messages:
                    messages.error(request, message)
                status = 409
            except ValidationError as exc:
                add_service_errors(roles_form, exc)
            else:
                messages.success(
                    request, _("The change waits for approval by another administrator.")
                )
                return redirect("staff:list")
    return _detail_page(request, user, roles_form, status)


def _detail_page(
    request: HttpRequest, user: User, roles_form: RolesForm, status: int
) -> HttpResponse:
    return render(
        request,
        "accounts/staff/detail.html",
        {
            "account": user,
            "account_roles": role_labels(user.role_names),
            "own": user.pk == request.user.pk,
            "roles_form": roles_form,
            "activation_form": ActivationForm(),
        },
        status=status,
    )


@require_POST
@login_required
@rule_required(can_administer_staff)
def staff_activation_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user_or_404(pk)
    form = ActivationForm(request.POST)
    if not form.is_valid():
        for message in form.errors.get("reason", []):
            messages.error(request, str(message))
        return redirect("staff:detail", pk=user.pk)
    try:
        services.staff_activation_propose(
            actor=request.user,  # type: ignore[arg-type]
            user_id=user.pk,
            active=not user.is_active,
            reason=form.cleaned_data["reason"],
        )
    except PermissionDenied as exc:
        _refused(request, exc)
        return redirect("staff:detail", pk=user.pk)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("staff:detail", pk=user.pk)
    messages.success(request, _("The change waits for approval by another administrator."))
    return redirect("staff:list")


@require_http_methods(["GET", "POST"])
@login_required
@rule_required(can_administer_staff)
def staff_invite_view(request: HttpRequest) -> HttpResponse:
    form = InviteForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.staff_invite(
                    actor=request.user,  # type: ignore[arg-type]
                    username=data["username"],
                    email=data["email"],
                    first_name=data["first_name"],
                    last_name=data["last_name"],
                    roles=data["roles"],
                    reason=data["reason"],
                )
            except PermissionDenied as exc:
                _refused(request, exc)
                status = 403
            except ValidationError as exc:  # Conflict included: a taken username
                add_service_errors(form, exc)
            else:
                messages.success(
                    request,
                    _(
                        "The account is created, inactive; it is activated with its roles "
                        "when another administrator approves."
                    ),
                )
                return redirect("staff:list")
    return render(request, "accounts/staff/invite.html", {"form": form}, status=status)


def _decide(request: HttpRequest, pk: int, *, approve: bool) -> HttpResponse:
    comment = request.POST.get("comment", "")
    try:
        if approve:
            services.staff_change_approve(actor=request.user, request_id=pk, comment=comment)  # type: ignore[arg-type]
        else:
            services.staff_change_reject(actor=request.user, request_id=pk, comment=comment)  # type: ignore[arg-type]
    except RoleChangeRequest.DoesNotExist:
        messages.error(request, _("This change no longer exists."))
    except PermissionDenied as exc:
        _refused(request, exc)
    except ValidationError as exc:  # Conflict included
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("The change is approved and applied.") if approve else _("The change is rejected."),
        )
    return redirect("staff:list")


@require_POST
@login_required
@rule_required(can_administer_staff)
def staff_change_approve_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, approve=True)


@require_POST
@login_required
@rule_required(can_administer_staff)
def staff_change_reject_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, approve=False)
