"""``portal.permissions.has_perm``, and every app's rules asked with it.

A channel (a partner or upstream system, by its API key) is authenticated but holds no right:
not a person's, not the system's. The rules are discovered from each app's ``permissions``
module, so a rule added later is checked too.
"""

from __future__ import annotations

import importlib
import inspect
import re
from collections.abc import Callable
from decimal import Decimal
from types import ModuleType
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied

from accounts.models import RoleChangeRequest, StaffChangeKind, User
from cases.models import Decision, DecisionKind, DecisionReason
from compliance.exports.kinds import EXPORT_KINDS
from compliance.models import LegalHold, RetentionPolicy, RetentionRun
from compliance.privacy.erasure import customer_erase, legal_hold_place, legal_hold_release
from compliance.privacy.retention import retention_policy_update, retention_run
from intake.channels import channel_create, channel_key_create, channel_key_revoke, channel_update
from intake.models import Channel, ChannelKey
from portal.permissions import ChannelActor, SystemActor, has_perm
from scoring.assessments.services import assessment_request
from scoring.customers.services import customer_create
from scoring.lines.blocks import block_lift, block_raise
from scoring.lines.services import credit_line_open
from scoring.models import (
    Assessment,
    AssessmentTrigger,
    Block,
    BlockSource,
    Customer,
    Scorecard,
)
from scoring.scorecards.services import scorecard_new_version_from
from tests.factories.accounts import UserFactory
from tests.factories.cases import CaseFactory, ChannelFactory, make_channel_key
from tests.factories.scoring import BlockFactory, CreditLineFactory, CustomerFactory

APPS = ("audit", "accounts", "scoring", "cases", "intake", "compliance")
APPS_WITH_RULES = {"audit", "accounts", "scoring", "cases", "intake", "compliance"}
RULE_NAME = re.compile(r"^(can|ensure_can|may)_")
SYSTEM = SystemActor("permissions_test")


def permission_modules() -> dict[str, ModuleType]:
    """Each app's ``permissions`` module, for the apps that have one."""
    modules = {}
    for app in APPS:
        try:
            modules[app] = importlib.import_module(f"{app}.permissions")
        except ModuleNotFoundError as error:
            if error.name != f"{app}.permissions":
                raise
    return modules


def permission_rules() -> list[tuple[str, Callable[..., Any]]]:
    """``(app.rule, function)`` for every public rule an app's ``permissions`` defines."""
    return [
        (f"{app}.{name}", function)
        for app, module in permission_modules().items()
        for name, function in inspect.getmembers(module, inspect.isfunction)
        if RULE_NAME.match(name)  # defined there, or a lower layer's rule named there
    ]


RULES = permission_rules()


@pytest.fixture
def channel(db: None) -> ChannelActor:
    return ChannelActor(ChannelFactory(code="partner-shop", kind=Channel.Kind.PARTNER))


def _decision(officer: User) -> Decision:
    """A proposed decision (unsaved: a refused rule reads no more than who proposed it)."""
    return Decision(
        case=CaseFactory(assignee=officer),
        kind=DecisionKind.LIFT_BLOCK,
        reason_code=DecisionReason.values[0],
        justification="Checked with the customer.",
        proposed_by=officer,
    )


# Beyond the actor, what a rule is asked about, by parameter name.
ARGUMENTS: dict[str, Callable[[User], Any]] = {
    "case": lambda officer: CaseFactory(assignee=officer),
    "decision": _decision,
    "kind": lambda officer: EXPORT_KINDS["audit"],
    "change": lambda officer: RoleChangeRequest.objects.create(
        user=UserFactory(),
        kind=StaffChangeKind.ROLES,
        roles_requested=["supervisor"],
        reason="test",
        proposed_by=UserFactory(),
    ),
}


def _call_with(rule: Callable[..., Any], actor: Any, officer: User) -> Any:
    parameters = list(inspect.signature(rule).parameters.values())[1:]
    arguments: dict[str, Any] = {}
    for parameter in parameters:
        if parameter.default is not inspect.Parameter.empty:
            continue
        assert parameter.name in ARGUMENTS, (
            f"{rule.__qualname__} needs {parameter.name!r}: say how to build one in ARGUMENTS"
        )
        arguments[parameter.name] = ARGUMENTS[parameter.name](officer)
    return rule(actor, **arguments)


def _refused(rule: Callable[..., Any], actor: Any, officer: User) -> bool:
    try:
        return _call_with(rule, actor, officer) is False
    except PermissionDenied:
        return True


# --- has_perm ---------------------------------------------------------------------------------


def test_a_person_has_the_permissions_of_their_role(officer: User, auditor: User) -> None:
    assert has_perm(officer, "cases.change_case")
    assert not has_perm(auditor, "cases.change_case")


def test_an_inactive_person_has_no_permission(officer: User) -> None:
    officer.is_active = False
    officer.save(update_fields=["is_active"])
    officer = User.objects.get(pk=officer.pk)
    assert not has_perm(officer, "cases.change_case")


def test_an_inactive_superuser_has_no_permission(admin_user: User) -> None:
    admin_user.is_superuser, admin_user.is_active = True, False
    assert not has_perm(admin_user, "cases.change_case")


def test_nobody_and_anonymous_visitors_have_no_permission() -> None:
    assert not has_perm(None, "cases.view_case")
    assert not has_perm(AnonymousUser(), "cases.view_case")
    assert not has_perm(None, "cases.view_case", system=True)
    assert not has_perm(AnonymousUser(), "cases.view_case", system=True)


def test_the_system_has_exactly_the_rights_a_rule_gives_it() -> None:
    assert has_perm(SYSTEM, "scoring.change_block", system=True)
    assert not has_perm(SYSTEM, "scoring.change_block", system=False)
    assert not has_perm(SYSTEM, "scoring.change_block")


def test_a_channel_has_no_permission_not_even_the_systems(channel: ChannelActor) -> None:
    assert channel.is_authenticated
    assert not has_perm(channel, "scoring.change_block")
    assert not has_perm(channel, "scoring.change_block", system=True)


def test_a_channel_is_refused_whatever_it_claims_to_hold() -> None:
    class Pretender:
        code = "pretender"

    actor = ChannelActor(Pretender())
    object.__setattr__(actor, "has_perm", lambda perm, obj=None: True)  # a channel that lies
    assert not has_perm(actor, "scoring.change_block", system=True)


# --- every rule of every app ------------------------------------------------------------------


def test_the_rules_of_every_app_with_a_permissions_module_are_found() -> None:
    modules = permission_modules()
    assert set(modules) >= APPS_WITH_RULES
    found = {name.split(".", 1)[0] for name, _rule in RULES}
    assert RULES
    assert found == set(modules), f"a permissions module without rules: {set(modules) - found}"


@pytest.mark.parametrize(("name", "rule"), RULES, ids=[name for name, _rule in RULES])
def test_a_channel_fails_every_permission_rule(
    name: str, rule: Callable[..., Any], channel: ChannelActor, officer: User
) -> None:
    assert _refused(rule, channel, officer), f"{name} lets a channel through"


@pytest.mark.parametrize(("name", "rule"), RULES, ids=[name for name, _rule in RULES])
def test_anonymous_visitors_and_nobody_fail_every_permission_rule(
    name: str, rule: Callable[..., Any], officer: User
) -> None:
    assert _refused(rule, AnonymousUser(), officer), f"{name} lets an anonymous visitor through"
    assert _refused(rule, None, officer), f"{name} lets nobody through"


SYSTEM_RULES = {
    "audit.can_verify_audit_chain",
    "compliance.can_erase",
    "compliance.can_run_retention",
    "intake.can_change_channels",
    "intake.can_create_channel_keys",
    "intake.can_create_channels",
    "intake.can_revoke_channel_keys",
    "scoring.can_author_scorecards",
    "scoring.can_create_customers",
    "scoring.can_manage_blocks",
    "scoring.can_request_assessments",
}


def test_the_system_passes_only_the_rules_that_let_jobs_act_without_a_person(
    officer: User,
) -> None:
    passed = {
        name
        for name, rule in RULES
        if name.split(".", 1)[1].startswith("can_") and not _refused(rule, SYSTEM, officer)
    }
    assert passed == SYSTEM_RULES


def test_no_person_creates_customers_whatever_their_permissions(admin_user: User) -> None:
    from scoring.permissions import can_create_customers

    admin_user.is_superuser = True
    admin_user.save(update_fields=["is_superuser"])
    assert not can_create_customers(User.objects.get(pk=admin_user.pk))
    assert can_create_customers(SYSTEM)


# --- the services that let any system actor through ------------------------------------------


def test_a_channel_may_not_erase_a_customer(channel: ChannelActor) -> None:
    customer = CustomerFactory(phone="13900001111")
    with pytest.raises(PermissionDenied):
        customer_erase(actor=channel, customer_id=customer.pk)
    assert Customer.objects.get(pk=customer.pk).phone == "13900001111"


def test_a_channel_may_neither_place_nor_release_legal_holds(
    channel: ChannelActor, privacy_officer: User
) -> None:
    customer = CustomerFactory()
    with pytest.raises(PermissionDenied):
        legal_hold_place(actor=channel, customer_id=customer.pk, reason="Litigation")
    assert not LegalHold.objects.filter(customer_id=customer.pk).exists()

    hold = legal_hold_place(actor=privacy_officer, customer_id=customer.pk, reason="Litigation")
    with pytest.raises(PermissionDenied):
        legal_hold_release(actor=channel, hold_id=hold.pk, reason="Settled")
    hold.refresh_from_db()
    assert hold.released_at is None


def test_a_channel_may_not_run_retention_or_change_its_policies(channel: ChannelActor) -> None:
    runs = RetentionRun.objects.count()
    with pytest.raises(PermissionDenied):
        retention_run(actor=channel, dry_run=True)
    with pytest.raises(PermissionDenied):
        retention_run(actor=channel, dry_run=False)
    assert RetentionRun.objects.count() == runs

    policy = RetentionPolicy.objects.first()
    if policy is not None:
        with pytest.raises(PermissionDenied):
            retention_policy_update(
                actor=channel, policy_id=policy.pk, keep_days=policy.keep_days, enabled=True
            )


def test_the_system_still_runs_retention_but_never_changes_its_policies(db: None) -> None:
    assert retention_run(actor=SYSTEM, dry_run=True).pk is not None
    policy = RetentionPolicy.objects.first()
    if policy is not None:
        with pytest.raises(PermissionDenied):
            retention_policy_update(
                actor=SYSTEM, policy_id=policy.pk, keep_days=policy.keep_days, enabled=True
            )


def test_a_channel_may_neither_raise_nor_lift_blocks(channel: ChannelActor) -> None:
    line = CreditLineFactory()
    with pytest.raises(PermissionDenied):
        block_raise(
            actor=channel,
            credit_line_id=line.pk,
            reason_code="DEVICE_ANOMALY",
            source=BlockSource.UPSTREAM,
        )
    assert not Block.objects.filter(credit_line=line).exists()

    block = BlockFactory()
    with pytest.raises(PermissionDenied):
        block_lift(actor=channel, block_id=block.pk, reason="Looks fine")
    assert Block.objects.active().filter(pk=block.pk).exists()


def test_a_channel_may_not_request_assessments(channel: ChannelActor) -> None:
    customer = CustomerFactory()
    with pytest.raises(PermissionDenied):
        assessment_request(
            actor=channel, customer_id=customer.pk, trigger=AssessmentTrigger.OFFICER
        )
    assert not Assessment.objects.filter(customer=customer).exists()


def test_a_channel_may_not_create_customers_lines_or_scorecards(channel: ChannelActor) -> None:
    with pytest.raises(PermissionDenied):
        customer_create(
            actor=channel,  # type: ignore[arg-type]
            external_id="CH-0000001",
            name="测试",
            phone="13900002222",
            national_id="",
        )
    assert not Customer.objects.filter(external_id="CH-0000001").exists()
    customer = CustomerFactory()
    with pytest.raises(PermissionDenied):
        credit_line_open(
            actor=channel,  # type: ignore[arg-type]
            customer_id=customer.pk,
            product="paylater",
            granted_limit=Decimal("1000.00"),
        )
    champion = Scorecard.objects.filter(is_champion=True).first()
    if champion is not None:
        with pytest.raises(PermissionDenied):
            scorecard_new_version_from(actor=channel, scorecard_id=champion.pk, changes={})


def test_a_channel_may_not_manage_channels_not_even_its_own_keys(channel: ChannelActor) -> None:
    own = channel.channel
    key, _plaintext = make_channel_key(own)
    with pytest.raises(PermissionDenied):
        channel_create(actor=channel, code="rogue", name="Rogue", kind=Channel.Kind.PARTNER)
    with pytest.raises(PermissionDenied):
        channel_update(actor=channel, channel_id=own.pk, name="Renamed", kind=own.kind, active=True)
    with pytest.raises(PermissionDenied):
        channel_key_create(actor=channel, channel_id=own.pk, name="another key")
    with pytest.raises(PermissionDenied):
        channel_key_revoke(actor=channel, key_id=key.pk)
    assert not Channel.objects.filter(code="rogue").exists()
    assert ChannelKey.objects.filter(channel=own).count() == 1
    key.refresh_from_db()
    assert not key.revoked
    own.refresh_from_db()
    assert own.name != "Renamed"


def test_the_system_still_manages_channels(db: None) -> None:
    created = channel_create(
        actor=SYSTEM, code="new-partner", name="New partner", kind=Channel.Kind.PARTNER
    )
    key, _plaintext = channel_key_create(actor=SYSTEM, channel_id=created.pk, name="first")
    assert channel_key_revoke(actor=SYSTEM, key_id=key.pk).revoked
