"""Forms of the public feedback pages: parse and validate only.

The content rules (phone format, lengths, consent) live in ``intake.feedback.submission``;
these forms carry the HTML limits (``maxlength``), the honeypot and the one-time form token.
"""

from __future__ import annotations

import secrets
from typing import Any

from django import forms
from django.core import signing
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.utils.translation import gettext_lazy as _

from intake.feedback import submission
from intake.inbox import BROKER_ERRORS
from intake.models import FeedbackKind
from portal.dates import BoundedDateTimeField

# The old module path, kept: a new salt would refuse every form open at a deploy.
FORM_TOKEN_SALT = "intake.feedback.services.form"
FORM_TOKEN_MAX_AGE = 2 * 60 * 60  # seconds a form may stay open
HONEYPOT_FIELD = "website"

# When Redis is down the used-token record falls back to this process's memory: replays to
# the same web process are still refused, and the submission itself is never lost.
_FALLBACK_TOKENS = LocMemCache("intake-form-tokens", {"TIMEOUT": FORM_TOKEN_MAX_AGE})


def new_form_token() -> str:
    return signing.dumps(secrets.token_urlsafe(16), salt=FORM_TOKEN_SALT)


def _token_nonce(token: str) -> str | None:
    try:
        nonce = signing.loads(token, salt=FORM_TOKEN_SALT, max_age=FORM_TOKEN_MAX_AGE)
    except signing.BadSignature:  # also SignatureExpired
        return None
    return nonce if isinstance(nonce, str) else None


def use_form_token(token: str) -> bool:
    """``True`` the first time a valid token is used; ``False`` when forged, expired or
    used before (a replayed or double-submitted form)."""
    nonce = _token_nonce(token)
    if nonce is None:
        return False
    key = f"intake:form-token:{nonce}"
    try:
        return bool(caches["default"].add(key, 1, timeout=FORM_TOKEN_MAX_AGE))
    except BROKER_ERRORS:
        return bool(_FALLBACK_TOKENS.add(key, 1))


class FeedbackForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What happened?"), choices=FeedbackKind.choices, widget=forms.RadioSelect
    )
    name = forms.CharField(
        label=_("Your name"),
        max_length=submission.NAME_MAX_LENGTH,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    phone = forms.CharField(
        label=_("Mobile number"),
        max_length=submission.PHONE_MAX_LENGTH,
        help_text=_("The number your credit line is registered with."),
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    description = forms.CharField(
        label=_("What went wrong?"),
        min_length=submission.DESCRIPTION_MIN_LENGTH,
        max_length=submission.DESCRIPTION_MAX_LENGTH,
        help_text=_("Please do not include ID numbers, card numbers or passwords."),
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    happened_at = BoundedDateTimeField(
        label=_("When did it happen? (optional)"),
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    consent = forms.BooleanField(
        label=_(
            "I consent to the processing of my financial information (my credit line, its "
            "limits and blocks) to handle this feedback."
        ),
        required=True,
        error_messages={
            "required": _(
                "We can only handle your feedback with your consent to processing your "
                "financial information. Tick the box to give it."
            )
        },
    )
    # Hidden by CSS (never by type=hidden, which bots skip): people leave it empty.
    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )
    form_token = forms.CharField(max_length=200, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("form_token", new_form_token())

    @property
    def is_bot(self) -> bool:
        return bool(self.data.get(HONEYPOT_FIELD, "").strip())

    def refresh_token(self) -> None:
        """A new token for the re-shown form (the submitted one may have been used)."""
        data = dict(self.data.items())
        data["form_token"] = new_form_token()
        self.data = data


class StatusLookupForm(forms.Form):
    reference = forms.CharField(
        label=_("Reference number"),
        max_length=submission.REFERENCE_MAX_LENGTH,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )
    phone_last4 = forms.RegexField(
        label=_("Last four digits of your mobile number"),
        regex="^[0-9\uff10-\uff19]{4}$",
        max_length=4,
        error_messages={"invalid": _("Enter the last four digits of your mobile number.")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
