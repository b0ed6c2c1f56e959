"""Forms of the auditor pages. The audit log's filters are ``compliance.auditlog.filters``,
shared with the API and the export."""

from __future__ import annotations

from django import forms


class VerifyChainForm(forms.Form):
    """No fields: the POST and its CSRF token are the whole request."""
