"""Channels and their API keys: made by an administrator, stored hashed, shown once, used,
revoked; and the request authentication they give a channel."""

from __future__ import annotations

import re
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from rest_framework_api_key.models import APIKey

from accounts.models import User
from audit.models import AuditEntry
from intake import channels
from intake.models import Channel, ChannelKey
from portal.errors import Conflict
from portal.permissions import ChannelActor
from tests.factories.cases import ChannelFactory, make_channel_key
from tests.factories.scoring import CustomerFactory

SIGNALS = "/api/v1/signals/"


def _signal_body(customer_external_id: str, event_id: str = "evt-1") -> dict[str, object]:
    return {
        "event_id": event_id,
        "type": "device_changed",
        "customer": customer_external_id,
        "occurred_at": timezone.now().isoformat(),
    }


def _client(plaintext: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {plaintext}")
    return client


# --- keys: made, stored, shown once ---------------------------------------------------------


def test_a_new_key_is_stored_only_as_its_prefix_and_hash(admin_user: User) -> None:
    channel = ChannelFactory()

    key, plaintext = channels.channel_key_create(
        actor=admin_user, channel_id=channel.pk, name="production"
    )

    prefix, secret = plaintext.split(".")
    row = ChannelKey.objects.filter(pk=key.pk).values().get()
    assert row["prefix"] == prefix
    assert row["created_by_id"] == admin_user.pk
    for column, value in row.items():
        assert secret not in str(value), column
    assert ChannelKey.objects.is_valid(plaintext)
    entry = AuditEntry.objects.get(action="channel.key_created")
    assert entry.actor == admin_user
    assert entry.data == {"channel": channel.code, "key_prefix": prefix, "expires": None}
    assert secret not in str(entry.data)


def test_only_an_administrator_may_create_or_revoke_keys(officer: User, admin_user: User) -> None:
    channel = ChannelFactory()
    key, _plaintext = make_channel_key(channel)

    with pytest.raises(PermissionDenied):
        channels.channel_key_create(actor=officer, channel_id=channel.pk, name="mine")
    with pytest.raises(PermissionDenied):
        channels.channel_key_revoke(actor=officer, key_id=key.pk)
    assert ChannelKey.objects.filter(channel=channel).count() == 1


def test_revoking_a_key_records_when_and_is_audited_once(admin_user: User) -> None:
    key, _plaintext = make_channel_key()

    channels.channel_key_revoke(actor=admin_user, key_id=key.pk)

    key.refresh_from_db()
    assert key.revoked is True
    assert key.revoked_at is not None
    entry = AuditEntry.objects.get(action="channel.key_revoked")
    assert entry.data == {"channel": key.channel.code, "key_prefix": key.prefix}
    with pytest.raises(Conflict):
        channels.channel_key_revoke(actor=admin_user, key_id=key.pk)


# --- authentication ---------------------------------------------------------------------------


def test_using_a_key_marks_it_used_at_most_once_a_minute(db: None) -> None:
    customer = CustomerFactory()
    key, plaintext = make_channel_key()
    assert key.last_used_at is None

    first = _client(plaintext).post(SIGNALS, _signal_body(customer.external_id), format="json")
    key.refresh_from_db()
    used_at = key.last_used_at
    second = _client(plaintext).post(
        SIGNALS, _signal_body(customer.external_id, "evt-2"), format="json"
    )
    key.refresh_from_db()

    assert first.status_code == second.status_code == 202
    assert used_at is not None
    assert key.last_used_at == used_at  # within the minute: not written again


def test_a_key_last_used_over_a_minute_ago_is_marked_again(db: None) -> None:
    customer = CustomerFactory()
    key, plaintext = make_channel_key()
    earlier = timezone.now() - timedelta(minutes=5)
    ChannelKey.objects.filter(pk=key.pk).update(last_used_at=earlier)

    _client(plaintext).post(SIGNALS, _signal_body(customer.external_id), format="json")

    key.refresh_from_db()
    assert key.last_used_at is not None
    assert key.last_used_at > earlier


def test_each_use_is_logged_without_personal_data(
    db: None, caplog: pytest.LogCaptureFixture
) -> None:
    customer = CustomerFactory()
    key, plaintext = make_channel_key()

    with caplog.at_level("INFO", logger="intake.channels"):
        _client(plaintext).post(SIGNALS, _signal_body(customer.external_id), format="json")

    lines = [r.getMessage() for r in caplog.records if r.name == "intake.channels"]
    assert lines == [
        f"channel request channel={key.channel.code} key={key.prefix} method=POST path={SIGNALS}"
    ]
    assert plaintext.split(".")[1] not in caplog.text


def test_a_revoked_key_is_refused_with_401(admin_user: User) -> None:
    customer = CustomerFactory()
    key, plaintext = make_channel_key()
    channels.channel_key_revoke(actor=admin_user, key_id=key.pk)

    response = _client(plaintext).post(SIGNALS, _signal_body(customer.external_id), format="json")

    assert response.status_code == 401
    assert response.json() == {"errors": {"non_field_errors": ["This API key has been revoked."]}}
    assert response["WWW-Authenticate"] == "Api-Key"


@pytest.mark.parametrize(
    "credential",
    ["Api-Key nonsense", "Api-Key ", "Api-Key abcdefgh.wrongsecretwrongsecretwrongsecr"],
)
def test_a_wrong_key_is_refused_with_401(db: None, credential: str) -> None:
    make_channel_key()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=credential)

    response = client.post(SIGNALS, {}, format="json")

    assert response.status_code == 401
    assert "errors" in response.json()


def test_a_guessed_secret_for_a_real_prefix_is_refused(db: None) -> None:
    key, _plaintext = make_channel_key()

    response = _client(f"{key.prefix}.{'x' * 32}").post(SIGNALS, {}, format="json")

    assert response.status_code == 401
    assert response.json()["errors"]["non_field_errors"] == ["Invalid API key."]


def test_an_expired_key_and_a_disabled_channel_are_refused(db: None) -> None:
    _expired_key, expired = make_channel_key(expiry_date=timezone.now() - timedelta(days=1))
    disabled_channel = ChannelFactory(active=False)
    _key, disabled = make_channel_key(disabled_channel)

    expired_answer = _client(expired).post(SIGNALS, {}, format="json")
    disabled_answer = _client(disabled).post(SIGNALS, {}, format="json")

    assert expired_answer.status_code == disabled_answer.status_code == 401
    assert expired_answer.json()["errors"]["non_field_errors"] == ["This API key has expired."]
    assert disabled_answer.json()["errors"]["non_field_errors"] == ["This channel is disabled."]


def test_a_call_without_credentials_is_challenged_for_an_api_key(db: None) -> None:
    response = APIClient().post(SIGNALS, {}, format="json")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Api-Key"
    assert "errors" in response.json()


def test_a_staff_token_does_not_open_the_channel_endpoint(officer: User) -> None:
    token, _created = Token.objects.get_or_create(user=officer)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")

    assert client.post(SIGNALS, {}, format="json").status_code == 401


def test_a_partner_channel_key_may_not_send_signals(db: None) -> None:
    customer = CustomerFactory()
    _key, plaintext = make_channel_key(ChannelFactory(kind=Channel.Kind.PARTNER))

    response = _client(plaintext).post(SIGNALS, _signal_body(customer.external_id), format="json")

    assert response.status_code == 403
    assert "errors" in response.json()


def test_a_channel_is_signed_in_but_holds_no_permissions(db: None) -> None:
    principal = ChannelActor(ChannelFactory(code="gateway"))

    assert principal.is_authenticated
    assert not principal.is_anonymous
    assert principal.get_username() == "channel:gateway"
    assert principal.has_perm("cases.view_case") is False


def test_a_channel_key_opens_no_staff_endpoint(db: None) -> None:
    _key, plaintext = make_channel_key()

    assert _client(plaintext).get("/api/v1/cases/").status_code == 401


# --- the admin ---------------------------------------------------------------------------------


def test_the_libraries_own_api_key_model_is_not_in_the_admin() -> None:
    assert not admin.site.is_registered(APIKey)
    assert admin.site.is_registered(ChannelKey)
    assert admin.site.is_registered(Channel)


def test_an_administrator_adds_a_channel_through_its_service(
    client: Client, admin_user: User
) -> None:
    client.force_login(admin_user)

    response = client.post(
        "/admin/intake/channel/add/",
        {
            "code": "payments",
            "name": "Payments gateway",
            "kind": "upstream",
            "active": "on",
            "keys-TOTAL_FORMS": "0",
            "keys-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302
    channel = Channel.objects.get(code="payments")
    assert channel.history.get().history_user == admin_user
    assert AuditEntry.objects.filter(action="channel.created", actor=admin_user).count() == 1


def test_creating_a_key_in_the_admin_shows_it_once(client: Client, admin_user: User) -> None:
    channel = ChannelFactory()
    client.force_login(admin_user)

    response = client.post(
        "/admin/intake/channelkey/add/", {"channel": channel.pk, "name": "production"}
    )

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    match = re.search(r'<code id="channel-api-key">([^<]+)</code>', response.content.decode())
    assert match is not None
    plaintext = match.group(1)
    key = ChannelKey.objects.get(channel=channel)
    assert plaintext.startswith(f"{key.prefix}.")
    assert ChannelKey.objects.is_valid(plaintext)
    secret = plaintext.split(".")[1]
    # Nowhere else: not in a message cookie, not on the key's page afterwards.
    assert all(secret not in morsel.value for morsel in response.cookies.values())
    later = client.get(f"/admin/intake/channelkey/{key.pk}/change/")
    assert later.status_code == 200
    assert secret not in later.content.decode()
    assert AuditEntry.objects.filter(action="channel.key_created", actor=admin_user).count() == 1


def test_the_admin_revokes_keys_with_an_action(client: Client, admin_user: User) -> None:
    key, _plaintext = make_channel_key()
    client.force_login(admin_user)

    response = client.post(
        "/admin/intake/channelkey/",
        {"action": "revoke_keys", "_selected_action": [key.pk]},
        follow=True,
    )

    assert response.status_code == 200
    key.refresh_from_db()
    assert key.revoked
    assert key.revoked_at is not None
    assert "1 API key revoked" in response.content.decode()


def test_keys_cannot_be_deleted_in_the_admin(client: Client, admin_user: User) -> None:
    key, _plaintext = make_channel_key()
    client.force_login(admin_user)

    response = client.post(f"/admin/intake/channelkey/{key.pk}/delete/", {"post": "yes"})

    assert response.status_code in {302, 403}
    assert ChannelKey.objects.filter(pk=key.pk).exists()


# --- the command -------------------------------------------------------------------------------


def test_the_command_creates_the_channel_and_prints_a_working_key(db: None) -> None:
    out, err = StringIO(), StringIO()

    call_command(
        "channel_create_key", "gateway", "ops key", "--kind", "upstream", stdout=out, stderr=err
    )

    plaintext = out.getvalue().strip()
    channel = Channel.objects.get(code="gateway")
    assert channel.kind == Channel.Kind.UPSTREAM
    assert ChannelKey.objects.get(channel=channel).name == "ops key"
    assert ChannelKey.objects.is_valid(plaintext)
    assert plaintext not in err.getvalue()
    assert AuditEntry.objects.filter(
        action="channel.created", actor_label="system:channel_create_key"
    ).exists()


def test_the_command_adds_a_key_to_an_existing_channel(db: None) -> None:
    channel = ChannelFactory(code="partner-a", kind=Channel.Kind.PARTNER)

    call_command(
        "channel_create_key",
        "partner-a",
        "second",
        "--kind",
        "partner",
        stdout=StringIO(),
        stderr=StringIO(),
    )

    assert Channel.objects.count() == 1
    assert channel.keys.count() == 1


def test_an_administrator_disabling_a_channel_shuts_out_its_keys(
    client: Client, admin_user: User
) -> None:
    channel = ChannelFactory(code="gateway", name="Gateway")
    _key, plaintext = make_channel_key(channel)
    client.force_login(admin_user)

    response = client.post(
        f"/admin/intake/channel/{channel.pk}/change/",
        {
            "name": "Gateway",
            "kind": "upstream",
            "keys-TOTAL_FORMS": "1",
            "keys-INITIAL_FORMS": "1",
            "keys-0-id": _key.pk,
            "keys-0-channel": channel.pk,
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    channel.refresh_from_db()
    assert channel.active is False
    assert channel.history.first().history_user == admin_user
    assert AuditEntry.objects.filter(action="channel.updated").count() == 1
    assert _client(plaintext).post(SIGNALS, {}, format="json").status_code == 401


def test_the_admin_pages_for_channels_and_keys_open(client: Client, admin_user: User) -> None:
    channel = ChannelFactory()
    make_channel_key(channel)
    client.force_login(admin_user)

    for url in (
        "/admin/intake/channel/",
        "/admin/intake/channel/add/",
        f"/admin/intake/channel/{channel.pk}/change/",
        "/admin/intake/channelkey/",
        "/admin/intake/channelkey/add/",
    ):
        assert client.get(url).status_code == 200, url
