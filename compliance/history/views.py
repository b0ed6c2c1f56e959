"""The auditor's history pages: choose a record (or an officer), read its versions with
their diffs, open one version. Read-only; every page is a GET."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from compliance.history import selectors as history
from compliance.history.filters import HistoryFilterForm
from compliance.permissions import can_browse_history

PAGE_SIZE = 25


class HistoryChooseForm(HistoryFilterForm):
    model = forms.ChoiceField(label=_("Record type"), choices=())
    id = forms.IntegerField(label=_("Record id"), min_value=1, required=False)
    officer = forms.CharField(
        label=_("Officer"),
        max_length=150,
        required=False,
        help_text=_("Username, when the record type is an officer."),
    )

    field_order = ["model", "id", "officer", "since", "until", "action", "actor"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["model"].choices = history.kind_choices()  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("model") == history.OFFICER:
            username = (cleaned.get("officer") or "").strip()
            user = get_user_model().objects.filter(username=username).first() if username else None
            if user is None:
                self.add_error("officer", _("No staff user has this username."))
            else:
                cleaned["id"] = user.pk
        elif cleaned.get("model") and not cleaned.get("id"):
            self.add_error("id", _("Enter the record's id."))
        return cleaned


def _ensure_allowed(request: HttpRequest) -> None:
    if not can_browse_history(request.user):
        raise PermissionDenied


def _export_links(kind: str, pk: int, filters: history.HistoryFilters) -> dict[str, str]:
    """CSV and JSON export links of the current view; none while the exporter is absent."""
    try:
        base = reverse("compliance:export", args=["history"])
    except NoReverseMatch:
        return {}
    params = {"model": kind, "id": str(pk), **filters.as_params()}
    return {fmt: f"{base}?{urlencode({**params, 'format': fmt})}" for fmt in ("csv", "json")}


@login_required
@require_http_methods(["GET", "HEAD"])
def history_index(request: HttpRequest) -> HttpResponse:
    _ensure_allowed(request)
    if "model" not in request.GET:
        return render(request, "compliance/history.html", {"form": HistoryChooseForm()})
    form = HistoryChooseForm(request.GET)
    if not form.is_valid():
        return render(request, "compliance/history.html", {"form": form}, status=400)
    kind, pk = form.cleaned_data["model"], form.cleaned_data["id"]
    query = urlencode(form.filters().as_params())
    url = reverse("compliance:history_object", args=[kind, pk])
    return redirect(f"{url}?{query}" if query else url)


@login_required
@require_http_methods(["GET", "HEAD"])
def history_object(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    _ensure_allowed(request)
    try:
        exists = history.history_exists(kind, pk)
    except history.UnknownHistoryKind:
        raise Http404 from None
    if not exists:
        raise Http404
    form = HistoryFilterForm(request.GET)
    context: dict[str, Any] = {
        "form": form,
        "kind": kind,
        "pk": pk,
        "is_officer": kind == history.OFFICER,
        "kind_label": _("Officer") if kind == history.OFFICER else history.KINDS[kind].label,
        "subject": _officer_name(pk) if kind == history.OFFICER else f"#{pk}",
    }
    if not form.is_valid():
        return render(
            request, "compliance/history_object.html", {**context, "page": None}, status=400
        )
    filters = form.filters()
    page = history.history_page(
        kind, pk, filters, cursor=form.cleaned_data.get("cursor", ""), page_size=PAGE_SIZE
    )
    context.update(
        page=page,
        filtered=filters != history.HistoryFilters(),
        export=_export_links(kind, pk, filters),
    )
    return render(request, "compliance/history_object.html", context)


def _officer_name(pk: int) -> str:
    return str(
        get_user_model().objects.filter(pk=pk).values_list("username", flat=True).first() or pk
    )


@login_required
@require_http_methods(["GET", "HEAD"])
def history_version(request: HttpRequest, kind: str, pk: int, history_id: int) -> HttpResponse:
    _ensure_allowed(request)
    if kind not in history.KINDS:
        raise Http404
    version = history.history_version(kind, pk, history_id)
    if version is None:
        raise Http404
    return render(
        request,
        "compliance/history_version.html",
        {"version": version, "kind": kind, "pk": pk, "kind_label": history.KINDS[kind].label},
    )
