"""The scoring app's models, gathered so Django (and ``from scoring.models import …``) finds
them. Each lives in its sub-feature package:

- ``scoring.customers.models``: ``Customer``, ``CustomerFeatures``, ``personal_hashes``;
  ``scoring.customers.access``: ``PersonalDataAccess`` (the personal-data access log);
- ``scoring.lines.models``: ``CreditLine``, ``Block``;
- ``scoring.scorecards.models``: ``Scorecard``;
- ``scoring.assessments.models``: ``Assessment``, ``BulkJob``;
- ``scoring.vocabulary``: reason codes, block sources, line states, products, money.
"""

from __future__ import annotations

from scoring.assessments.models import (
    Assessment,
    AssessmentStatus,
    AssessmentTrigger,
    BulkJob,
    BulkJobStatus,
)
from scoring.customers.access import PersonalDataAccess, RevealAllowance
from scoring.customers.models import Customer, CustomerFeatures, personal_hashes
from scoring.lines.models import Block, BlockQuerySet, CreditLine, CreditLineQuerySet
from scoring.scorecards.models import (
    SCORECARD_CONTENT_FIELDS,
    Scorecard,
    ScorecardSource,
    ScorecardStatus,
)
from scoring.vocabulary import (
    CURRENCY,
    MONEY_DIGITS,
    MONEY_PLACES,
    REASON_DESCRIPTIONS,
    BlockSource,
    CreditLineState,
    Product,
    ReasonCode,
    reason_description,
)

__all__ = [
    "CURRENCY",
    "MONEY_DIGITS",
    "MONEY_PLACES",
    "REASON_DESCRIPTIONS",
    "SCORECARD_CONTENT_FIELDS",
    "Assessment",
    "AssessmentStatus",
    "AssessmentTrigger",
    "Block",
    "BlockQuerySet",
    "BlockSource",
    "BulkJob",
    "BulkJobStatus",
    "CreditLine",
    "CreditLineQuerySet",
    "CreditLineState",
    "Customer",
    "CustomerFeatures",
    "PersonalDataAccess",
    "Product",
    "ReasonCode",
    "RevealAllowance",
    "Scorecard",
    "ScorecardSource",
    "ScorecardStatus",
    "personal_hashes",
    "reason_description",
]
