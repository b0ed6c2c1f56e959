"""Sign-in: lockout (django-axes), the per-account delay and the second factor (django-otp).

``PROXY_COUNT`` is read in ``portal.settings`` itself: production requires it (``_required``).
"""

from __future__ import annotations

import environ

env = environ.Env()
_PRODUCTION = env.str("PORTAL_ENV", default="local") == "production"

# Lockout (django-axes) on the pair of account and address: five failures for one username
# from one address lock that pair only, so failures from elsewhere cannot lock an owner out
# (nor made-up names everyone behind one NAT). Guessing one account from many addresses is
# slowed by the per-account delay below instead. An administrator unlocks with
# `manage.py axes_reset_username` or the admin.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.5)  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# Not True: that also forgets the address's failures against other usernames. The sign-in
# view clears only the signed-in user's own failures (accounts.security).
AXES_RESET_ON_SUCCESS = False
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_CLIENT_IP_CALLABLE = "accounts.security.client_ip_address"  # honours PROXY_COUNT
# An existing account's username as is; anything else typed as a keyed hash, never in clear.
AXES_USERNAME_CALLABLE = "accounts.security.attempt_username"
# Masked in axes' log lines and in the request data it stores with each attempt (the
# code field is the second step's, whose wrong codes also count as failures).
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "code"]
AXES_VERBOSE = False

# Per-account delay (accounts.throttle): the first SIGN_IN_DELAY_FREE_FAILURES failures on an
# account (from any address, within the cool-off window) cost nothing; each further one
# doubles the wait before the next attempt, from SIGN_IN_DELAY_BASE_SECONDS up to
# SIGN_IN_DELAY_MAX_SECONDS.
SIGN_IN_DELAY_FREE_FAILURES = env.int("SIGN_IN_DELAY_FREE_FAILURES", default=3)
SIGN_IN_DELAY_BASE_SECONDS = env.int("SIGN_IN_DELAY_BASE_SECONDS", default=2)
SIGN_IN_DELAY_MAX_SECONDS = env.int("SIGN_IN_DELAY_MAX_SECONDS", default=300)

# Second factor (django-otp, TOTP). Holders of these roles must have verified a device in
# their session before they can open anything but the enrolment page. Production always
# includes administrators and privacy officers; locally nobody is forced, so `make run` and
# the demo accounts work without a phone.
_ALWAYS_IN_PRODUCTION = ["admin", "privacy_officer"]
OTP_REQUIRED_ROLES: list[str] = env.list(
    "OTP_REQUIRED_ROLES", default=_ALWAYS_IN_PRODUCTION if _PRODUCTION else []
)
if _PRODUCTION:
    OTP_REQUIRED_ROLES = sorted(set(OTP_REQUIRED_ROLES) | set(_ALWAYS_IN_PRODUCTION))
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="Risk-operations portal")
# A pending second step (password accepted, code not yet given) lasts this long, and allows
# this many wrong codes before the sign-in starts again from the password.
SIGN_IN_OTP_PENDING_SECONDS = 300
SIGN_IN_OTP_MAX_TRIES = 5
