"""A service's errors land on the form where the user can act on them."""

from __future__ import annotations

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from portal.errors import Conflict
from portal.web.forms import add_service_errors


class NoteForm(forms.Form):
    body = forms.CharField()
    personal_fields = forms.CharField(required=False)
    version = forms.IntegerField(widget=forms.HiddenInput)


def bound_form() -> NoteForm:
    form = NoteForm({"body": "Called the customer.", "version": 3})
    assert form.is_valid()
    return form


def test_an_error_keyed_by_a_field_of_the_form_goes_on_that_field_with_its_code() -> None:
    form = bound_form()

    add_service_errors(form, ValidationError({"body": ValidationError("Too long.", code="long")}))

    assert form.errors == {"body": ["Too long."]}
    assert form.has_error("body", code="long")
    assert "body" not in form.cleaned_data


def test_every_message_of_a_field_is_kept_once() -> None:
    form = bound_form()

    add_service_errors(form, ValidationError({"body": ["Too long.", "Names a customer."]}))

    assert form.errors == {"body": ["Too long.", "Names a customer."]}


def test_an_error_for_a_field_the_form_does_not_have_goes_above_the_form() -> None:
    form = bound_form()

    add_service_errors(form, ValidationError({"case": "This case is closed.", "body": "Empty."}))

    assert form.non_field_errors() == ["This case is closed."]
    assert form.errors["body"] == ["Empty."]


def test_an_error_for_a_hidden_field_goes_above_the_form_where_it_is_seen() -> None:
    form = bound_form()

    add_service_errors(form, ValidationError({"version": "Reload the page."}))

    assert form.non_field_errors() == ["Reload the page."]
    assert "version" not in form.errors


def test_a_service_key_can_be_renamed_to_the_forms_field() -> None:
    form = bound_form()

    add_service_errors(
        form,
        ValidationError({"fields": "Choose what to reveal."}),
        fields={"fields": "personal_fields"},
    )

    assert form.errors == {"personal_fields": ["Choose what to reveal."]}


def test_an_error_keyed_by_nothing_goes_above_the_form() -> None:
    form = bound_form()

    add_service_errors(form, ValidationError(["First problem.", "Second problem."]))

    assert form.non_field_errors() == ["First problem.", "Second problem."]


def test_a_conflict_goes_above_the_form_with_its_code() -> None:
    form = bound_form()

    add_service_errors(form, Conflict("This note has changed since you opened it.", code="stale"))

    assert form.non_field_errors() == ["This note has changed since you opened it."]
    assert form.has_error(NON_FIELD_ERRORS, code="stale")


def test_errors_already_keyed_as_non_field_stay_above_the_form() -> None:
    form = bound_form()

    add_service_errors(form, ValidationError({NON_FIELD_ERRORS: "Not now."}))

    assert form.errors == {NON_FIELD_ERRORS: ["Not now."]}
