"""Production settings: every secret comes from the environment, and check --deploy is clean."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

BASE_DIR = Path(__file__).resolve().parents[2]

PRODUCTION_ENV = {
    "PORTAL_ENV": "production",
    "SECRET_KEY": "p" * 20 + "roduction-secret-key-with-enough-entropy-0123456789",
    "DATABASE_URL": "postgres://portal@db.internal:5432/portal",
    "REDIS_URL": "redis://cache.internal:6379/0",
    "ALLOWED_HOSTS": "portal.example.cn",
    "FIELD_ENCRYPTION_KEYS": f"{Fernet.generate_key().decode()},{Fernet.generate_key().decode()}",
    "PII_HASH_KEY": "h" * 40,
    "EXPORT_SIGNING_KEY": "s" * 40,
    "PROXY_COUNT": "1",
}


def manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in PRODUCTION_ENV and k != "DJANGO_ALLOW_ASYNC_UNSAFE"
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_reports_nothing_with_production_values() -> None:
    result = manage("check", "--deploy", "--fail-level", "DEBUG", **PRODUCTION_ENV)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize(
    "variable",
    [
        "SECRET_KEY",
        "DATABASE_URL",
        "REDIS_URL",
        "ALLOWED_HOSTS",
        "FIELD_ENCRYPTION_KEYS",
        "PII_HASH_KEY",
        "EXPORT_SIGNING_KEY",
        "PROXY_COUNT",
    ],
)
def test_production_refuses_to_start_without_each_required_variable(variable: str) -> None:
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != variable}

    result = manage("check", **env)

    assert result.returncode != 0
    assert "Configuration error: Set the environment variable(s) required in production" in (
        result.stderr
    )
    assert variable in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("FIELD_ENCRYPTION_KEYS", "not-base64!!", "FIELD_ENCRYPTION_KEYS holds a key"),
        ("FIELD_ENCRYPTION_KEYS", "c2hvcnQ=", "FIELD_ENCRYPTION_KEYS holds a key that does not"),
        ("DATABASE_URL", "nosuchdb://x", "DATABASE_URL is malformed"),
        ("REDIS_URL", "http://cache:6379", "REDIS_URL must start with"),
        ("SECRET_KEY", "short", "SECRET_KEY must be at least 50"),
        ("PII_HASH_KEY", "short", "PII_HASH_KEY must be at least 32"),
        ("PORTAL_ENV", "staging", "PORTAL_ENV must be one of"),
        ("PROXY_COUNT", "two", "PROXY_COUNT must be the number of trusted proxies"),
        ("PROXY_COUNT", "-1", "PROXY_COUNT must be the number of trusted proxies"),
    ],
)
def test_malformed_values_stop_start_up_naming_the_variable(
    variable: str, value: str, message: str
) -> None:
    result = manage("check", **{**PRODUCTION_ENV, variable: value})

    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_local_profile_needs_no_environment_at_all(tmp_path: Path) -> None:
    result = manage("check", PORTAL_ENV="local", DATABASE_URL=f"sqlite:///{tmp_path}/x.sqlite3")

    assert result.returncode == 0, result.stderr


def setting(name: str, **env: str) -> str:
    result = manage(
        "shell",
        "--no-imports",
        "-c",
        f"from django.conf import settings; print(settings.{name})",
        **env,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_production_counts_the_given_proxies_for_the_client_address() -> None:
    assert setting("AXES_IPWARE_PROXY_COUNT", **{**PRODUCTION_ENV, "PROXY_COUNT": "2"}) == "2"
    assert setting("AXES_IPWARE_PROXY_COUNT", **{**PRODUCTION_ENV, "PROXY_COUNT": "0"}) == "0"


def test_production_requires_a_second_factor_of_administrators_and_privacy_officers() -> None:
    assert setting("OTP_REQUIRED_ROLES", **PRODUCTION_ENV) == "['admin', 'privacy_officer']"
    # Naming more roles adds to the two; it cannot take them away.
    more = {**PRODUCTION_ENV, "OTP_REQUIRED_ROLES": "supervisor"}
    assert setting("OTP_REQUIRED_ROLES", **more) == "['admin', 'privacy_officer', 'supervisor']"


def test_locally_nobody_is_asked_for_a_second_factor(tmp_path: Path) -> None:
    local = {"PORTAL_ENV": "local", "DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite3"}
    assert setting("OTP_REQUIRED_ROLES", **local) == "[]"
