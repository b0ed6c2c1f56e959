"""What can be exported, and by whom: one ``ExportKind`` per exportable view, each naming the
``export_table(params)`` of its list's selectors (the same parser and selector as its page
and API), and the exports a user may see."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy

from compliance.exports.table import ExportTable
from compliance.models import ExportRecord
from compliance.permissions import can_view_exports
from portal.permissions import is_person

__all__ = [
    "EXPORT_KINDS",
    "ExportKind",
    "export_for_user",
    "export_kind",
    "exports_for_user",
]


@dataclass(frozen=True)
class ExportKind:
    """One exportable view: where its ``export_table`` lives and who may read that view."""

    name: str
    label: str | Promise
    table: str  # dotted path of ``export_table(params) -> ExportTable``, imported on use
    permission: str  # besides viewing exports (``compliance.permissions.can_export``)

    def available(self) -> bool:
        """Whether the view's ``export_table`` can be imported (a view may not exist yet)."""
        try:
            import_string(self.table)
        except ImportError:
            return False
        return True

    def export_table(self, params: Mapping[str, str]) -> ExportTable:
        table_for: Callable[[Mapping[str, str]], ExportTable] = import_string(self.table)
        return table_for(params)


EXPORT_KINDS: dict[str, ExportKind] = {
    kind.name: kind
    for kind in (
        ExportKind(
            "audit",
            gettext_lazy("Audit log"),
            "compliance.auditlog.selectors.export_table",
            "audit.view_auditentry",
        ),
        ExportKind(
            "history",
            gettext_lazy("History"),
            "compliance.history.selectors.export_table",
            "scoring.view_personaldataaccess",
        ),
        ExportKind(
            "access",
            gettext_lazy("Personal-data access log"),
            "compliance.access.selectors.export_table",
            "scoring.view_personaldataaccess",
        ),
    )
}


def export_kind(kind: str) -> ExportKind | None:
    """The exportable view called ``kind``, or ``None`` when there is none (yet)."""
    spec = EXPORT_KINDS.get(kind)
    return spec if spec is not None and spec.available() else None


def exports_for_user(user: Any) -> Any:
    """The exports a user may see, newest first: every export for whoever may export (the
    auditors), only their own for anyone else (nobody, with today's roles)."""
    queryset = ExportRecord.objects.select_related("created_by").order_by("-created_at", "-id")
    if can_view_exports(user):
        return queryset
    if is_person(user):
        return queryset.filter(created_by=user)
    return queryset.none()


def export_for_user(user: Any, pk: int) -> ExportRecord:
    """One export the user may see (its exporter, or any auditor); ``DoesNotExist`` otherwise,
    so a stranger learns nothing about it."""
    record: ExportRecord = exports_for_user(user).get(pk=pk)
    return record
