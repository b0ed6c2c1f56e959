"""The sign-in form: one message for a wrong username or password, never saying which."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables


class SignInForm(AuthenticationForm):
    error_messages = {
        "invalid_login": _(
            "The username or password is incorrect. Both are case-sensitive; please try again."
        ),
        "inactive": _("This account has been deactivated. Please contact an administrator."),
    }

    def __init__(self, request: Any = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = _("Username")
        self.fields["username"].widget.attrs.update(
            {"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"}
        )
        self.fields["password"].label = _("Password")
        self.fields["password"].widget = forms.PasswordInput(
            attrs={"autocomplete": "current-password"}
        )

    @sensitive_variables("password")
    def clean(self) -> dict[str, Any]:
        try:
            return super().clean()
        except ValidationError as error:
            if error.code == "invalid_login" and self._is_deactivated_account():
                raise ValidationError(self.error_messages["inactive"], code="inactive") from None
            raise

    @sensitive_variables("password")
    def _is_deactivated_account(self) -> bool:
        """A deactivated account is named only to someone who knows its password.

        Django's backend refuses inactive users before checking the password, so without this
        a former colleague would only ever read "incorrect password". A locked-out request is
        answered by django-axes' lockout page instead; it learns nothing here.
        """
        if self.request is not None and getattr(self.request, "axes_locked_out", False):
            return False
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if not username or not password:
            return False
        user_model = get_user_model()
        user = user_model._default_manager.filter(
            **{user_model.USERNAME_FIELD: username}, is_active=False
        ).first()
        return user is not None and user.check_password(password)


class CodeForm(forms.Form):
    """A code from the authenticator app (six digits; spaces allowed, as apps show them)."""

    code = forms.CharField(
        label=_("Code from your authenticator app"),
        max_length=12,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "autocapitalize": "none",
                "spellcheck": "false",
            }
        ),
    )

    def clean_code(self) -> str:
        code = "".join(str(self.cleaned_data["code"]).split())
        if not code.isdigit() or len(code) != 6:
            raise ValidationError(_("Enter the six digits your app shows."), code="format")
        return code
