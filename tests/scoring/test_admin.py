"""The admin shows customers, lines and blocks read-only and masked, history included."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories.accounts import UserFactory
from tests.factories.scoring import BlockFactory, CustomerFactory

pytestmark = pytest.mark.django_db

PLAIN = ("王大锤", "13812345678", "11010519491231002X")


@pytest.fixture
def superuser_client(client: Client) -> Client:
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def test_customer_pages_in_the_admin_never_show_plain_personal_data(
    superuser_client: Client,
) -> None:
    customer = CustomerFactory(name=PLAIN[0], phone=PLAIN[1], national_id=PLAIN[2])
    customer.phone = "13900001111"
    customer._change_reason = "test: number changed"  # type: ignore[attr-defined]
    customer.save()

    pages = [
        reverse("admin:scoring_customer_changelist"),
        reverse("admin:scoring_customer_change", args=[customer.pk]),
        reverse("admin:scoring_customer_history", args=[customer.pk]),
        reverse(
            "admin:scoring_customer_simple_history",
            args=[customer.pk, customer.history.earliest().history_id],
        ),
    ]
    for url in pages:
        response = superuser_client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        for value in (*PLAIN, "13900001111"):
            assert value not in html, (url, value)
    history = superuser_client.get(pages[2]).content.decode()
    assert "138****5678" in history
    assert "139****1111" in history


def test_the_admin_changes_nothing(superuser_client: Client) -> None:
    block = BlockFactory()
    response = superuser_client.get(reverse("admin:scoring_block_change", args=[block.pk]))
    assert response.status_code == 200
    assert 'name="_save"' not in response.content.decode()
    assert superuser_client.get(reverse("admin:scoring_customer_add")).status_code == 403
    assert (
        superuser_client.get(
            reverse("admin:scoring_creditline_delete", args=[block.credit_line_id])
        ).status_code
        == 403
    )
