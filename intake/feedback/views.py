"""The public feedback form, its thank-you page and the status lookup (no login). (The
officers' triage of unmatched feedback is ``intake.triage``.)

Public pages speak Simplified Chinese unless the visitor chose English (the language
switch's cookie, or ``?lang=en``). Rate limits per client address (``intake.ratelimits``,
shared with the API) answer a friendly page with status 429; when Redis itself is down they
are counted in-process, so they still hold and feedback below them is still accepted.
Nothing personal is logged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from intake.feedback.forms import FeedbackForm, StatusLookupForm, use_form_token
from intake.feedback.status import feedback_status
from intake.feedback.submission import feedback_submit
from intake.ratelimits import LOOKUP_GROUP, SUBMIT_GROUP, rate_limited
from portal.pii.sources import RetentionRecordType
from portal.registries import retention_days
from portal.web.forms import add_service_errors

logger = logging.getLogger(__name__)

PUBLIC_LANGUAGES = ("zh-hans", "en")
PUBLIC_DEFAULT_LANGUAGE = "zh-hans"
DONE_SESSION_KEY = "intake_reference"
DEFAULT_KEEP_DAYS = 3 * 365


# --- language and rate limits ---------------------------------------------------------------


def public_language(request: HttpRequest) -> tuple[str, bool]:
    """``(language, chosen_in_query)``: ``?lang=``, else the switch's cookie, else Chinese."""
    chosen = request.GET.get("lang", "")
    if chosen in PUBLIC_LANGUAGES:
        return chosen, True
    cookie = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    if cookie in PUBLIC_LANGUAGES:
        return cookie, False
    return PUBLIC_DEFAULT_LANGUAGE, False


def public_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Activate the public pages' language for the view; ``?lang=`` is remembered."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        language, from_query = public_language(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = view(request, *args, **kwargs)
        if from_query:
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                language,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                path=settings.LANGUAGE_COOKIE_PATH,
                domain=settings.LANGUAGE_COOKIE_DOMAIN,
                secure=settings.LANGUAGE_COOKIE_SECURE,
                httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,  # type: ignore[arg-type]
            )
        return response

    return wrapped


def _too_many(request: HttpRequest, retry_after: int) -> HttpResponse:
    response = render(request, "intake/rate_limited.html", {"retry_after": retry_after}, status=429)
    response["Retry-After"] = str(retry_after)
    return response


# --- the feedback form ----------------------------------------------------------------------


def _render_form(request: HttpRequest, form: FeedbackForm, status: int = 200) -> HttpResponse:
    # While the policy is switched off the notice must not promise deletion.
    keep_days = retention_days(RetentionRecordType.FEEDBACK_TEXT, default=DEFAULT_KEEP_DAYS)
    context = {
        "form": form,
        "keep_days": keep_days,
        "keep_years": keep_days // 365 if keep_days and keep_days % 365 == 0 else None,
        "consent_version": settings.INTAKE_CONSENT_VERSION,
    }
    return render(request, "intake/feedback_form.html", context, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
@public_page
def feedback(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _render_form(request, FeedbackForm())
    retry_after = rate_limited(request, group=SUBMIT_GROUP, rate=settings.INTAKE_RATE_SUBMIT)
    if retry_after is not None:
        return _too_many(request, retry_after)
    form = FeedbackForm(request.POST)
    if form.is_bot:
        # A generic thank-you, as if it worked, so the bot learns nothing; nothing is stored.
        logger.info("feedback form: honeypot filled, nothing stored")
        return render(request, "intake/feedback_done.html", {"reference": None})
    if not form.is_valid():
        form.refresh_token()
        return _render_form(request, form, status=400)
    if not use_form_token(form.cleaned_data["form_token"]):
        # Replayed, double-submitted or expired: nothing is stored twice.
        messages.warning(
            request,
            _(
                "This form was already sent or has expired, so it was not stored again. "
                "If you have a reference number, look up its status below; otherwise "
                "fill in the form again."
            ),
        )
        return redirect("intake:feedback")
    data = form.cleaned_data
    try:
        submitted = feedback_submit(
            kind=data["kind"],
            name=data["name"],
            phone=data["phone"],
            description=data["description"],
            happened_at=data["happened_at"],
            consent=data["consent"],
            consent_version=settings.INTAKE_CONSENT_VERSION,
            language=translation.get_language() or PUBLIC_DEFAULT_LANGUAGE,
            channel=None,
        )
    except ValidationError as exc:
        add_service_errors(form, exc)
        form.refresh_token()
        return _render_form(request, form, status=400)
    # Post/redirect/get: the reference travels in the session, never in a URL.
    request.session[DONE_SESSION_KEY] = submitted.reference
    return redirect("intake:feedback_done")


@never_cache
@require_http_methods(["GET"])
@public_page
def feedback_done(request: HttpRequest) -> HttpResponse:
    reference = request.session.get(DONE_SESSION_KEY)
    if not reference:
        return redirect("intake:feedback")
    return render(request, "intake/feedback_done.html", {"reference": reference})


@never_cache
@require_http_methods(["GET", "POST"])
@public_page
def status(request: HttpRequest) -> HttpResponse:
    """Reference and the last four digits of the phone → status and a plain message, the
    same wording for a wrong reference as for a wrong phone. POST, so the reference stays
    out of URLs and access logs."""
    result = None
    if request.method == "POST":
        retry_after = rate_limited(request, group=LOOKUP_GROUP, rate=settings.INTAKE_RATE_LOOKUP)
        if retry_after is not None:
            return _too_many(request, retry_after)
        form = StatusLookupForm(request.POST)
        if form.is_valid():
            try:
                result = feedback_status(
                    reference=form.cleaned_data["reference"],
                    phone_last4=form.cleaned_data["phone_last4"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
    else:
        form = StatusLookupForm()
    return render(request, "intake/status.html", {"form": form, "result": result})
