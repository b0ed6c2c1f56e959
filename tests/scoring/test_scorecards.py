"""Scorecard versions: immutable once active, one champion, activation by supervisors only,
champion/challenger shadow comparison, and the versions pages."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, ProgrammingError, connection, transaction
from django.urls import reverse

from audit.models import AuditEntry
from portal.errors import Conflict
from scoring.models import CustomerFeatures, Scorecard, ScorecardStatus
from scoring.scorecards import services, shadow
from scoring.scorecards.default import default_scorecard_fields
from tests.factories.scoring import CustomerFactory

pytestmark = pytest.mark.django_db

SPEC = {
    k: v
    for k, v in default_scorecard_fields().items()
    if k in {"base_points", "cutoff", "characteristics", "limit_policy", "block_rules"}
}


def _champion() -> Scorecard:
    return Scorecard.objects.get(is_champion=True)


def _draft(actor: Any, **changes: Any) -> Scorecard:
    return services.scorecard_create_draft(
        actor=actor, name="Stricter", **{**copy.deepcopy(SPEC), **changes}
    )


# --- immutability -----------------------------------------------------------------------------


def test_the_database_refuses_to_change_an_activated_scorecard() -> None:
    champion = _champion()
    for statement in (
        "UPDATE scoring_scorecard SET cutoff = 1 WHERE id = %s",
        "UPDATE scoring_scorecard SET characteristics = '[]'::jsonb WHERE id = %s",
        "UPDATE scoring_scorecard SET activated_at = NULL WHERE id = %s",
        "DELETE FROM scoring_scorecard WHERE id = %s",
    ):
        with (
            pytest.raises(ProgrammingError, match="pgtrigger"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement, [champion.pk])
    champion.refresh_from_db()
    assert champion.cutoff == SPEC["cutoff"]


def test_the_database_still_lets_status_and_champion_flag_change() -> None:
    champion = _champion()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE scoring_scorecard SET is_champion = false, status = 'retired' WHERE id = %s",
            [champion.pk],
        )
    champion.refresh_from_db()
    assert champion.status == ScorecardStatus.RETIRED


def test_the_service_refuses_to_edit_an_active_version_with_a_clear_message(
    supervisor: Any,
) -> None:
    with pytest.raises(Conflict, match="has been activated and can no longer be changed"):
        services.scorecard_update_draft(
            actor=supervisor, scorecard_id=_champion().pk, changes={"cutoff": 500}
        )


def test_a_new_version_from_an_active_one_is_a_draft_with_the_changes(supervisor: Any) -> None:
    champion = _champion()
    draft = services.scorecard_new_version_from(
        actor=supervisor, scorecard_id=champion.pk, changes={"cutoff": 560}
    )
    assert draft.version == champion.version + 1
    assert draft.status == ScorecardStatus.DRAFT
    assert draft.cutoff == 560
    assert draft.characteristics == champion.characteristics
    assert draft.created_by == supervisor
    entry = AuditEntry.objects.get(action="scorecard.created")
    assert entry.data["based_on_version"] == champion.version
    edited = services.scorecard_update_draft(
        actor=supervisor, scorecard_id=draft.pk, changes={"cutoff": 555}
    )
    assert edited.cutoff == 555
    assert draft.history.first().history_change_reason == "scorecard.edited"


def test_an_invalid_spec_is_refused_before_anything_is_stored(supervisor: Any) -> None:
    broken = copy.deepcopy(SPEC["characteristics"])
    broken[2]["bins"][1]["max"] = 3  # overlaps the next bin (which starts at 2)
    with pytest.raises(ValidationError, match="gap or overlap"):
        _draft(supervisor, characteristics=broken)
    assert Scorecard.objects.count() == 1


def test_officers_cannot_create_versions(officer: Any) -> None:
    with pytest.raises(PermissionDenied):
        _draft(officer)


# --- activation -------------------------------------------------------------------------------


def test_a_supervisor_activates_a_draft_as_the_single_champion_audited(supervisor: Any) -> None:
    previous = _champion()
    draft = _draft(supervisor, cutoff=560)
    activated = services.scorecard_activate(actor=supervisor, scorecard_id=draft.pk)

    assert activated.is_champion
    assert activated.status == ScorecardStatus.ACTIVE
    assert activated.activated_by == supervisor
    assert activated.activated_at is not None
    previous.refresh_from_db()
    assert not previous.is_champion
    assert previous.status == ScorecardStatus.ACTIVE
    assert list(Scorecard.objects.filter(is_champion=True)) == [activated]
    entry = AuditEntry.objects.get(action="scorecard.activated")
    assert entry.actor == supervisor
    assert entry.data["version"] == draft.version
    assert entry.data["previous_version"] == previous.version
    assert activated.history.first().history_change_reason == (
        f"scorecard.activated: v{draft.version} replaces v{previous.version}"
    )
    # The newly active version is immutable now, in the database too.
    with pytest.raises(ProgrammingError, match="pgtrigger"), transaction.atomic():
        Scorecard.objects.filter(pk=activated.pk).update(cutoff=1)


def test_the_previous_champion_can_be_made_champion_again(supervisor: Any) -> None:
    first = _champion()
    draft = _draft(supervisor)
    services.scorecard_activate(actor=supervisor, scorecard_id=draft.pk)
    again = services.scorecard_activate(actor=supervisor, scorecard_id=first.pk)
    assert again.is_champion
    assert Scorecard.objects.filter(is_champion=True).count() == 1
    entry = AuditEntry.objects.filter(action="scorecard.activated").order_by("-id").first()
    assert entry is not None
    assert entry.data["first_activation"] is False


def test_an_officer_cannot_activate_a_scorecard(officer: Any, supervisor: Any) -> None:
    draft = _draft(supervisor)
    with pytest.raises(PermissionDenied):
        services.scorecard_activate(actor=officer, scorecard_id=draft.pk)
    draft.refresh_from_db()
    assert draft.status == ScorecardStatus.DRAFT
    assert not AuditEntry.objects.filter(action="scorecard.activated").exists()


def test_activating_the_champion_again_is_a_conflict(supervisor: Any) -> None:
    with pytest.raises(Conflict, match="already the champion"):
        services.scorecard_activate(actor=supervisor, scorecard_id=_champion().pk)


def test_the_database_refuses_two_champions() -> None:
    other = Scorecard.objects.create(
        version=2, name="x", status=ScorecardStatus.DRAFT, **copy.deepcopy(SPEC)
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Scorecard.objects.filter(pk=other.pk).update(
            status=ScorecardStatus.ACTIVE, is_champion=True, activated_at=_champion().activated_at
        )


# --- champion / challenger --------------------------------------------------------------------


def _population(n: int) -> None:
    for i in range(n):
        customer = CustomerFactory()
        CustomerFeatures.objects.create(
            customer=customer,
            monthly_income=2000 + 500 * i,
            months_on_book=12 + i,
            bureau_accounts=1 + i % 5,
            utilisation="0.5000",
            delinquencies_12m=0,
            device_changes_30d=i % 3,
            distance_from_usual_city_km=20,
            identity_consistency="0.990",
            attempts_24h=0,
        )


def test_shadow_comparison_is_deterministic_and_stores_no_assessments(supervisor: Any) -> None:
    _population(30)
    challenger = _draft(supervisor, cutoff=590)
    first = shadow.scorecard_shadow_compare(
        actor=supervisor, challenger_id=challenger.pk, sample_size=20, seed=3
    )
    second = shadow.scorecard_shadow_compare(
        actor=supervisor, challenger_id=challenger.pk, sample_size=20, seed=3
    )
    assert first.sample_size == 20
    assert first.champion_scores == second.champion_scores
    # Same points, stricter cut-off: nobody is newly approved, some are newly declined.
    assert first.champion_scores == first.challenger_scores
    assert first.newly_approved == 0
    assert first.newly_declined == first.champion_approved - first.challenger_approved > 0
    assert len(first.flipped) == first.newly_declined
    assert all("*" in f.masked_name for f in first.flipped)
    cut = {c: (a, b) for c, a, b in first.approval_curve}
    assert cut[590][0] == cut[590][1]
    assert challenger.assessments.count() == 0
    assert AuditEntry.objects.filter(action="scorecard.shadow_compared").count() == 2


def test_only_supervisors_shadow_compare(officer: Any, supervisor: Any) -> None:
    challenger = _draft(supervisor)
    with pytest.raises(PermissionDenied):
        shadow.scorecard_shadow_compare(
            actor=officer, challenger_id=challenger.pk, sample_size=10, seed=1
        )


# --- pages ------------------------------------------------------------------------------------


def test_the_versions_page_lists_versions_with_the_champion(
    client: Any, officer: Any, django_assert_max_num_queries: Any
) -> None:
    client.force_login(officer)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("scoring:scorecards"))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-testid="champion"' in body
    assert "Activate as champion" not in body  # officers see, never activate


def test_a_supervisor_activates_from_the_versions_page(client: Any, supervisor: Any) -> None:
    draft = _draft(supervisor)
    client.force_login(supervisor)
    page = client.get(reverse("scoring:scorecards")).content.decode()
    assert reverse("scoring:scorecard_activate", args=[draft.pk]) in page
    response = client.post(reverse("scoring:scorecard_activate", args=[draft.pk]), follow=True)
    assert f"Version {draft.version} is now the champion." in response.content.decode()
    assert _champion() == draft


def test_an_officer_posting_an_activation_is_refused(
    client: Any, officer: Any, supervisor: Any
) -> None:
    draft = _draft(supervisor)
    client.force_login(officer)
    response = client.post(reverse("scoring:scorecard_activate", args=[draft.pk]))
    assert response.status_code == 403
    assert _champion() != draft


def test_the_detail_page_shows_bins_points_and_rules(
    client: Any, auditor: Any, django_assert_max_num_queries: Any
) -> None:
    client.force_login(auditor)
    # Session, user, permissions, the unread-notification badge, and the page's own reads.
    with django_assert_max_num_queries(7):
        response = client.get(reverse("scoring:scorecard_detail", args=[_champion().pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert 'data-characteristic="file_depth"' in body
    assert "Credit history on file" in body
    assert "Device changes in the last 30 days ≥ 4" in body


def test_the_compare_page_shows_the_histogram_and_flips(client: Any, supervisor: Any) -> None:
    _population(15)
    challenger = _draft(supervisor, cutoff=600)
    client.force_login(supervisor)
    url = reverse("scoring:scorecard_compare", args=[challenger.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"sample_size": 15, "seed": 7})
    body = response.content.decode()
    assert 'id="score-histogram"' in body
    assert 'data-testid="approval-curve"' in body
    assert 'data-testid="flips"' in body


def test_officers_cannot_open_the_compare_page(client: Any, officer: Any) -> None:
    client.force_login(officer)
    response = client.get(reverse("scoring:scorecard_compare", args=[_champion().pk]))
    assert response.status_code == 403
