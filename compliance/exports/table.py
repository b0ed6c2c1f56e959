"""What an exportable view hands to the exporter: column names, a lazy stream of rows, and
the filters that produced them (written into the export's manifest).

Each auditor view that can be exported offers ``export_table(params) -> ExportTable``
(``compliance.auditlog.selectors`` for the audit log, ``compliance.history.selectors`` for history,
``compliance.access.selectors`` for the personal-data access log). ``rows`` must be lazy
(``QuerySet.iterator()`` underneath), so a million rows never sit in memory, and must hold
masked values only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ExportTable:
    kind: str
    columns: Sequence[str]
    rows: Iterable[Sequence[Any]]
    filters: Mapping[str, str] = field(default_factory=dict)
