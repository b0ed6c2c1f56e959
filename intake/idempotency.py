"""``Idempotency-Key`` for the channels' writes: the same key and body give the same answer
and create nothing twice; the same key with another body is a 409.

How it holds under concurrency: the record row is inserted *first*, inside the request's
transaction and before the handler runs. A second request with the same key (channel,
endpoint) blocks on the unique index until the first commits, then its insert fails inside
a savepoint and it replays the stored answer; if the first rolled back, the second's
insert goes through and it does the work itself. So two identical requests racing create
one thing.

Stored answers: 2xx and validation errors (400, 422). Anything else (401/403/409/429 and
5xx) is about the moment, not the body, so it is not stored and a retry runs again.
Records are kept ``RETENTION`` (7 days); ``idempotency_records_purge`` removes older ones.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.response import Response

from intake.models import Channel, IdempotencyRecord
from portal.api.errors import exception_handler

logger = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
REPLAY_HEADER = "Idempotent-Replayed"
KEY_MAX_LENGTH = 255
RETENTION = timedelta(days=7)
_STORED_ERRORS = frozenset({status.HTTP_400_BAD_REQUEST, status.HTTP_422_UNPROCESSABLE_ENTITY})
_PENDING = 0  # response_status of a row whose request is still running (never committed)

# Errors a handler raises for the caller's input or the current state: answered, not 500.
_ANSWERED = (APIException, DjangoValidationError, PermissionDenied, Http404)


def _errors(field: str, message: str, code: int) -> Response:
    return Response({"errors": {field: [message]}}, status=code)


def request_digest(data: Any) -> str:
    """HMAC-SHA256 of the body's canonical JSON (sorted keys, compact, UTF-8).

    Keyed with ``PII_HASH_KEY``: a feedback body holds a name and a phone number, and a
    plain hash of it could be confirmed offline by guessing ("did this person write this?").
    """
    canonical = json.dumps(
        data, cls=DjangoJSONEncoder, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    key = settings.PII_HASH_KEY
    key_bytes = key.encode("utf-8") if isinstance(key, str) else bytes(key)
    message = b"idempotency\x1f" + canonical.encode("utf-8")
    return hmac.new(key_bytes, message, hashlib.sha256).hexdigest()


def _valid_key(key: str) -> bool:
    return (
        0 < len(key) <= KEY_MAX_LENGTH and all(" " <= c <= "~" for c in key) and bool(key.strip())
    )


def _replay(record: IdempotencyRecord, digest: str) -> Response:
    if record.request_hash != digest:
        return _errors(
            "non_field_errors",
            _("This Idempotency-Key was already used with a different request body."),
            status.HTTP_409_CONFLICT,
        )
    if record.response_status == _PENDING:  # cannot be seen committed; defensive
        return _errors(
            "non_field_errors",
            _("A request with this Idempotency-Key is still being processed; retry later."),
            status.HTTP_409_CONFLICT,
        )
    response = Response(record.response_body, status=record.response_status)
    response[REPLAY_HEADER] = "true"
    return response


def _json_safe(data: Any) -> Any:
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def idempotent_response(
    *,
    request: Any,
    channel: Channel,
    endpoint: str,
    handler: Callable[[], Response],
) -> Response:
    """Run ``handler`` once per ``(channel, endpoint, Idempotency-Key)``; replay its answer.

    Without the header the handler simply runs. A malformed key (empty, over 255
    characters, not printable ASCII) is a 400. Domain errors the handler raises are turned
    into their answers here (through ``portal.api.errors.exception_handler``), so a validation
    error is stored and replayed like a success.
    """
    key = request.headers.get(HEADER)
    if key is None:
        return handler()
    if not _valid_key(key):
        return _errors(
            HEADER,
            _("An Idempotency-Key is 1 to 255 printable ASCII characters."),
            status.HTTP_400_BAD_REQUEST,
        )
    digest = request_digest(request.data)  # a malformed body raises ParseError (400) here
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    channel=channel,
                    endpoint=endpoint,
                    key=key,
                    request_hash=digest,
                    response_status=_PENDING,
                    response_body={},
                )
        except IntegrityError:
            # Another request holds (or held) this key: the insert waited for it to finish.
            record = IdempotencyRecord.objects.get(channel=channel, endpoint=endpoint, key=key)
            return _replay(record, digest)
        try:
            with transaction.atomic():
                response = handler()
        except _ANSWERED as exc:
            answered = exception_handler(exc, {"request": request})
            if answered is None:  # pragma: no cover - every _ANSWERED type is mapped
                raise
            response = answered
        code = response.status_code
        if 200 <= code < 300 or code in _STORED_ERRORS:
            record.response_status = code
            record.response_body = _json_safe(response.data)
            record.save(update_fields=["response_status", "response_body"])
        else:
            record.delete()
    return response


def idempotency_records_purge(*, older_than: timedelta = RETENTION) -> int:
    """Delete records older than ``older_than`` (the intake sweep calls this)."""
    cutoff = timezone.now() - older_than
    deleted, _by_model = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    if deleted:
        logger.info("idempotency records purged count=%d", deleted)
    return deleted
