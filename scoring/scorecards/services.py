"""Scorecard versions: drafts, new versions from an existing one, edits and activation.

A scorecard version is written once as a draft and never edited after activation (the
database refuses it too, see ``Scorecard.Meta.triggers``). Activation makes one version the
single champion; the previous champion stays active (not champion), so it can still be
shadow-compared (``scoring.scorecards.shadow``) or promoted back (a rollback is an
activation too, audited the same way). Each service writes the change, its history row and
its audit entry in one transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.actions import AuditAction
from audit.changes import record_change
from audit.history_rows import change_reason, history_user, save_with_history
from portal.errors import Conflict
from portal.permissions import SystemActor
from scoring.models import (
    Scorecard,
    ScorecardSource,
    ScorecardStatus,
)
from scoring.permissions import (
    ensure_can_activate_scorecards,
    ensure_can_author_scorecards,
)
from scoring.scorecards.validation import validate_scorecard, validate_spec

Actor = User | SystemActor

SCORECARD_EDITABLE_FIELDS: frozenset[str] = frozenset(
    {
        "name",
        "description",
        "base_points",
        "cutoff",
        "characteristics",
        "limit_policy",
        "block_rules",
        "auto_apply",
    }
)


def _scorecard_create(
    *,
    actor: Actor,
    fields: dict[str, Any],
    source: str,
    metrics: dict[str, Any] | None,
    based_on: int | None,
) -> Scorecard:
    unknown = set(fields) - SCORECARD_EDITABLE_FIELDS
    if unknown:
        raise ValidationError(
            _("These scorecard fields cannot be set: %(fields)s.")
            % {"fields": ", ".join(sorted(unknown))},
            code="unknown_field",
        )
    if not str(fields.get("name", "")).strip():
        raise ValidationError(_("Give the scorecard version a name."), code="name")
    validate_spec(
        base_points=fields.get("base_points"),
        cutoff=fields.get("cutoff"),
        characteristics=fields.get("characteristics"),
        limit_policy=fields.get("limit_policy"),
        block_rules=fields.get("block_rules"),
    )
    if source not in ScorecardSource.values:
        raise ValidationError(_("Unknown scorecard source."), code="source")
    # Versions are numbered in order; the unique index refuses a concurrent duplicate.
    latest = Scorecard.objects.aggregate(latest=Max("version"))["latest"] or 0
    scorecard = Scorecard(
        version=latest + 1,
        status=ScorecardStatus.DRAFT,
        source=source,
        metrics=metrics or {},
        created_by=history_user(actor),
        **fields,
    )
    scorecard.full_clean(exclude=["characteristics", "limit_policy", "block_rules", "metrics"])
    return record_change(
        scorecard,
        actor=actor,
        action=AuditAction.SCORECARD_CREATED,
        data={
            "version": scorecard.version,
            "source": source,
            "based_on_version": based_on,
            "metrics": {k: str(v) for k, v in (metrics or {}).items()},
        },
    )


@transaction.atomic
def scorecard_create_draft(
    *,
    actor: Actor,
    name: str,
    base_points: int,
    cutoff: int,
    characteristics: list[dict[str, Any]],
    limit_policy: list[dict[str, Any]],
    block_rules: list[dict[str, Any]],
    description: str = "",
    auto_apply: bool = False,
    source: str = ScorecardSource.MANUAL,
    metrics: dict[str, Any] | None = None,
) -> Scorecard:
    """A new draft version (the next version number), validated and audited.

    Raises ``PermissionDenied`` without ``scoring.add_scorecard`` and ``ValidationError``
    naming every problem in the spec (see ``scoring.scorecards.validation.validate_spec``).
    """
    ensure_can_author_scorecards(actor)
    return _scorecard_create(
        actor=actor,
        fields={
            "name": name,
            "description": description,
            "base_points": base_points,
            "cutoff": cutoff,
            "characteristics": characteristics,
            "limit_policy": limit_policy,
            "block_rules": block_rules,
            "auto_apply": auto_apply,
        },
        source=source,
        metrics=metrics,
        based_on=None,
    )


@transaction.atomic
def scorecard_new_version_from(
    *, actor: Actor, scorecard_id: int, changes: Mapping[str, Any]
) -> Scorecard:
    """A draft copy of a version with ``changes`` applied: how an active scorecard changes."""
    ensure_can_author_scorecards(actor)
    base = Scorecard.objects.get(pk=scorecard_id)
    fields = {name: getattr(base, name) for name in SCORECARD_EDITABLE_FIELDS}
    fields.update(changes)
    if "name" not in changes:
        fields["name"] = base.name
    return _scorecard_create(
        actor=actor,
        fields=fields,
        source=ScorecardSource.MANUAL,
        metrics=None,
        based_on=base.version,
    )


@transaction.atomic
def scorecard_update_draft(
    *, actor: Actor, scorecard_id: int, changes: Mapping[str, Any]
) -> Scorecard:
    """Edit a draft. A version that has been activated is refused with a ``Conflict``
    (it is immutable: create a new version from it instead)."""
    ensure_can_author_scorecards(actor)
    scorecard = Scorecard.objects.select_for_update().get(pk=scorecard_id)
    if scorecard.activated_at is not None or scorecard.status != ScorecardStatus.DRAFT:
        raise Conflict(
            _(
                "Version %(version)d has been activated and can no longer be changed. "
                "Create a new version from it instead."
            )
            % {"version": scorecard.version},
            code="immutable",
        )
    unknown = set(changes) - SCORECARD_EDITABLE_FIELDS
    if unknown:
        raise ValidationError(
            _("These scorecard fields cannot be set: %(fields)s.")
            % {"fields": ", ".join(sorted(unknown))},
            code="unknown_field",
        )
    for name, value in changes.items():
        setattr(scorecard, name, value)
    validate_scorecard(scorecard)
    return record_change(
        scorecard,
        actor=actor,
        action=AuditAction.SCORECARD_EDITED,
        data={"version": scorecard.version, "fields": sorted(changes)},
    )


@transaction.atomic
def scorecard_activate(*, actor: User, scorecard_id: int) -> Scorecard:
    """Make a version the single champion (supervisors, ``scoring.activate_scorecard``).

    A draft is validated, stamped (``activated_at``/``activated_by``: from then on it is
    immutable) and becomes active; an active non-champion (an earlier champion) is promoted
    back. The previous champion stays active, no longer champion. Both rows are locked
    (``select_for_update``, in id order) so two activations never leave two champions; the
    unique index on the champion flag is the last line of defence. Audited as
    ``scorecard.activated`` with the previous and the new version.

    Raises ``PermissionDenied``, ``ValidationError`` for an unsound spec, ``Conflict`` for
    the current champion or a retired version, and ``Scorecard.DoesNotExist``.
    """
    ensure_can_activate_scorecards(actor)
    rows = list(
        Scorecard.objects.select_for_update()
        .filter(Q(pk=scorecard_id) | Q(is_champion=True))
        .order_by("pk")
    )
    target = next((row for row in rows if row.pk == scorecard_id), None)
    if target is None:
        raise Scorecard.DoesNotExist
    previous = next((row for row in rows if row.is_champion and row.pk != scorecard_id), None)
    if target.is_champion:
        raise Conflict(
            _("Version %(version)d is already the champion.") % {"version": target.version},
            code="already_champion",
        )
    if target.status == ScorecardStatus.RETIRED:
        raise Conflict(
            _("Version %(version)d is retired and cannot be activated.")
            % {"version": target.version},
            code="retired",
        )
    validate_scorecard(target)

    now = timezone.now()
    detail = f"v{target.version} replaces v{previous.version}" if previous else f"v{target.version}"
    if previous is not None:
        # The old champion's history row gives the same reason; the entry is the new one's.
        previous.is_champion = False
        save_with_history(
            previous,
            actor=actor,
            reason=change_reason(AuditAction.SCORECARD_ACTIVATED, actor, detail),
            fields=["is_champion"],
        )
    first_activation = target.activated_at is None
    target.status = ScorecardStatus.ACTIVE
    target.is_champion = True
    update = ["status", "is_champion"]
    if first_activation:
        target.activated_at = now
        target.activated_by = actor
        update += ["activated_at", "activated_by"]
    return record_change(
        target,
        actor=actor,
        action=AuditAction.SCORECARD_ACTIVATED,
        detail=detail,
        update_fields=update,
        data={
            "version": target.version,
            "previous_version": previous.version if previous else None,
            "first_activation": first_activation,
            "cutoff": target.cutoff,
        },
    )
