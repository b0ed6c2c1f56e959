"""Every history-tracked model uses the portal's ``HistoricalRecords``, whose manager class
is built once, not on every access (each saved row looks it up)."""

from __future__ import annotations

import pytest
from simple_history.models import registered_models

from audit.historical import ReusedHistoryManager
from tests.factories.scoring import CustomerFactory


def test_every_tracked_model_uses_the_reused_manager() -> None:
    tracked = [model for model in registered_models.values() if model._meta.app_label != "auth"]
    assert len(tracked) >= 16
    for model in tracked:
        assert isinstance(model.history, ReusedHistoryManager), model._meta.label


@pytest.mark.django_db
def test_the_manager_class_is_built_once_and_history_still_reads_and_writes() -> None:
    customer = CustomerFactory(city="上海")
    customer.city = "北京"
    customer.save()

    assert type(customer.history) is type(customer.history)
    assert type(customer.history) is type(type(customer).history)
    assert [row.city for row in customer.history.order_by("history_id")] == ["上海", "北京"]
