"""A second factor (TOTP, django-otp): staff set up an authenticator app on a portal page;
sign-in asks for its code when the account has one; holders of OTP_REQUIRED_ROLES without a
verified device reach nothing but that page."""

from __future__ import annotations

import base64
from io import StringIO
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.core.management import CommandError, call_command
from django.test import Client, override_settings
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from accounts.two_factor import ENROLMENT_KEY_SESSION_KEY
from accounts.views import PENDING_SIGN_IN_SESSION_KEY
from audit.models import AuditEntry
from tests.factories.accounts import UserFactory
from tests.portal.pages import text

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
CODE = "/accounts/login/code/"
ENROL = "/accounts/two-factor/"
REMOVE = "/accounts/two-factor/remove/"
ENFORCED = override_settings(OTP_REQUIRED_ROLES=["admin", "privacy_officer"])


def code(key: bytes, *, drift: int = 0) -> str:
    """The app's code for ``key`` now (``drift`` steps of 30 s ahead), as the app shows it."""
    return f"{totp(key, step=30, t0=0, digits=6, drift=drift):06d}"


def device_for(user: User) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)


def actions(action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action).order_by("id"))


def sign_in(client: Client, username: str, password: str, **extra: Any):
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


class TestEnrolment:
    def test_the_page_shows_a_qr_code_drawn_on_the_server_and_the_secret(
        self, client: Client, officer: User
    ) -> None:
        client.force_login(officer)
        response = client.get(ENROL)
        assert response.status_code == 200
        page = text(response)
        assert '<svg width="' in page
        assert "<path" in page
        assert "<script" not in page.split('data-testid="totp-qr"')[1].split("</span>")[0]
        key = bytes.fromhex(client.session[ENROLMENT_KEY_SESSION_KEY])
        secret = base64.b32encode(key).decode()
        assert secret[:4] + " " + secret[4:8] in page
        assert not TOTPDevice.objects.exists()  # nothing stored before a first code

    def test_a_first_code_confirms_the_app_and_is_audited(
        self, client: Client, officer: User
    ) -> None:
        client.force_login(officer)
        client.get(ENROL)
        key = bytes.fromhex(client.session[ENROLMENT_KEY_SESSION_KEY])

        response = client.post(ENROL, {"code": code(key)}, REMOTE_ADDR="10.1.2.3")

        assert response.status_code == 302
        device = TOTPDevice.objects.get(user=officer)
        assert device.confirmed
        assert device.bin_key == key
        assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id  # verified now
        [entry] = actions("auth.otp_enrolled")
        assert entry.actor_id == officer.pk
        assert entry.data == {"ip": "10.1.2.3", "device": device.pk}
        assert "An authenticator app is set up" in text(client.get(ENROL))

    def test_a_wrong_first_code_stores_nothing_and_is_audited(
        self, client: Client, officer: User
    ) -> None:
        client.force_login(officer)
        client.get(ENROL)
        key = bytes.fromhex(client.session[ENROLMENT_KEY_SESSION_KEY])
        wrong = f"{(int(code(key)) + 1) % 1_000_000:06d}"

        response = client.post(ENROL, {"code": wrong}, REMOTE_ADDR="10.1.2.3")

        assert response.status_code == 200
        assert "That code is not right." in text(response)
        assert not TOTPDevice.objects.exists()
        [entry] = actions("auth.otp_failed")
        assert entry.data == {"ip": "10.1.2.3", "step": "enrolment"}

    def test_letters_are_refused_beside_the_field(self, client: Client, officer: User) -> None:
        client.force_login(officer)
        response = client.post(ENROL, {"code": "12ab56"})
        assert response.status_code == 200
        assert "Enter the six digits your app shows." in text(response)


class TestSignIn:
    def test_an_account_with_an_app_is_asked_for_its_code_after_the_password(
        self, client: Client, officer: User, password: str
    ) -> None:
        device = device_for(officer)

        response = sign_in(client, "officer", password)

        assert response.status_code == 302
        assert response["Location"] == CODE
        assert "_auth_user_id" not in client.session
        assert "Enter your sign-in code" in text(client.get(CODE))
        assert client.get("/").status_code == 302  # not signed in yet

        response = client.post(CODE, {"code": code(device.bin_key)}, REMOTE_ADDR="10.1.2.3")

        assert response.status_code == 302
        assert response["Location"] == "/"
        assert client.session["_auth_user_id"] == str(officer.pk)
        assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
        assert PENDING_SIGN_IN_SESSION_KEY not in client.session
        [entry] = actions("auth.signed_in")
        assert entry.data == {"ip": "10.1.2.3", "second_factor": "totp"}

    def test_a_wrong_code_does_not_sign_in_is_audited_and_counts_as_a_failure(
        self, client: Client, officer: User, password: str
    ) -> None:
        device = device_for(officer)
        sign_in(client, "officer", password, REMOTE_ADDR="10.1.2.3")
        wrong = f"{(int(code(device.bin_key)) + 1) % 1_000_000:06d}"

        response = client.post(CODE, {"code": wrong}, REMOTE_ADDR="10.1.2.3")

        assert response.status_code == 200
        assert "That code is not right." in text(response)
        assert "_auth_user_id" not in client.session
        [entry] = actions("auth.otp_failed")
        assert entry.target_id == str(officer.pk)
        assert entry.data == {"ip": "10.1.2.3", "step": "sign_in"}
        attempt = AccessAttempt.objects.get(username="officer")
        assert attempt.failures_since_start == 1
        assert wrong not in attempt.post_data  # masked like the password
        assert actions("auth.signed_in") == []

    @override_settings(SIGN_IN_DELAY_BASE_SECONDS=0, AXES_FAILURE_LIMIT=10)
    def test_a_few_wrong_codes_send_the_person_back_to_the_password(
        self, client: Client, officer: User, password: str
    ) -> None:
        device_for(officer)
        sign_in(client, "officer", password, REMOTE_ADDR="10.1.2.3")
        for _ in range(4):
            assert client.post(CODE, {"code": "000000"}, REMOTE_ADDR="10.1.2.4").status_code == 200
        response = client.post(CODE, {"code": "000000"}, REMOTE_ADDR="10.1.2.4")
        assert response.status_code == 302
        assert response["Location"] == LOGIN
        assert PENDING_SIGN_IN_SESSION_KEY not in client.session
        assert client.get(CODE)["Location"] == LOGIN

    def test_the_code_step_without_a_password_first_goes_back_to_sign_in(
        self, client: Client
    ) -> None:
        response = client.post(CODE, {"code": "123456"})
        assert response.status_code == 302
        assert response["Location"] == LOGIN

    def test_an_account_without_an_app_signs_in_with_the_password_alone(
        self, client: Client, officer: User, password: str
    ) -> None:
        response = sign_in(client, "officer", password)
        assert response["Location"] == "/"
        assert client.session["_auth_user_id"] == str(officer.pk)


class TestEnforcement:
    @ENFORCED
    def test_an_administrator_without_an_app_reaches_only_the_enrolment_page(
        self, client: Client, admin_user: User, password: str
    ) -> None:
        sign_in(client, "administrator", password)
        for path in ("/", "/admin/", "/compliance/audit/"):
            response = client.get(path)
            assert response.status_code == 302, path
            assert response["Location"] == ENROL, path
        api = client.get("/api/v1/cases/")
        assert api.status_code == 403
        assert "authenticator app" in api.json()["errors"]["non_field_errors"][0]
        page = client.get(ENROL)
        assert page.status_code == 200
        assert "Your role needs a second sign-in step." in text(page)
        assert client.post("/accounts/logout/").status_code == 302

    @ENFORCED
    def test_after_enrolling_the_administrator_gets_in(
        self, client: Client, admin_user: User, password: str
    ) -> None:
        sign_in(client, "administrator", password)
        client.get(ENROL)
        key = bytes.fromhex(client.session[ENROLMENT_KEY_SESSION_KEY])
        client.post(ENROL, {"code": code(key)})
        assert client.get("/").status_code == 200

    @ENFORCED
    def test_a_privacy_officer_with_an_app_signs_in_with_the_code_and_gets_in(
        self, client: Client, privacy_officer: User, password: str
    ) -> None:
        device = device_for(privacy_officer)
        sign_in(client, "privacy", password)
        client.post(CODE, {"code": code(device.bin_key)})
        assert client.get("/").status_code == 200

    @ENFORCED
    def test_other_roles_are_not_forced(self, client: Client, officer: User, password: str) -> None:
        sign_in(client, "officer", password)
        assert client.get("/").status_code == 200

    def test_without_the_setting_nobody_is_forced(
        self, client: Client, admin_user: User, password: str, settings: Any
    ) -> None:
        assert settings.OTP_REQUIRED_ROLES == []  # the test and local profiles
        sign_in(client, "administrator", password)
        assert client.get("/").status_code == 200


class TestRemoval:
    def test_a_current_code_removes_the_app_and_is_audited(
        self, client: Client, officer: User
    ) -> None:
        device = device_for(officer)
        client.force_login(officer)

        response = client.post(REMOVE, {"code": code(device.bin_key)}, REMOTE_ADDR="10.1.2.3")

        assert response.status_code == 302
        assert not TOTPDevice.objects.exists()
        [entry] = actions("auth.otp_removed")
        assert entry.actor_id == officer.pk
        assert entry.data == {"ip": "10.1.2.3", "device": device.pk}

    def test_a_wrong_code_keeps_the_app_and_is_audited(self, client: Client, officer: User) -> None:
        device = device_for(officer)
        client.force_login(officer)
        wrong = f"{(int(code(device.bin_key)) + 1) % 1_000_000:06d}"

        response = client.post(REMOVE, {"code": wrong})

        assert response.status_code == 200
        assert "That code is not right." in text(response)
        assert TOTPDevice.objects.filter(pk=device.pk).exists()
        [entry] = actions("auth.otp_failed")
        assert entry.data["step"] == "removal"


class TestLostPhone:
    def test_an_operator_removes_a_lost_app_with_manage_py_and_it_is_audited(
        self, officer: User
    ) -> None:
        device = device_for(officer)
        out = StringIO()

        call_command("totp_reset", "officer", stdout=out)

        assert "authenticator apps removed: 1" in out.getvalue()
        assert not TOTPDevice.objects.exists()
        [entry] = actions("auth.otp_removed")
        assert entry.actor_label == "system:totp_reset"
        assert entry.target_id == str(officer.pk)
        assert entry.data == {"device": device.pk, "reset": True}

    def test_an_unknown_username_is_a_clear_error(self) -> None:
        with pytest.raises(CommandError, match="No staff account has this username"):
            call_command("totp_reset", "nobody")

    def test_the_admin_offers_no_unaudited_way_to_change_apps(
        self, client: Client, officer: User
    ) -> None:
        client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
        assert client.get("/admin/otp_totp/totpdevice/").status_code == 404
