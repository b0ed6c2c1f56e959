"""Signed, streamed exports of the audit log: the file, its manifest, and verification."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import tracemalloc
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.db import connection
from django.http import StreamingHttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from audit.encoding import entry_hash
from audit.log import audit_record
from audit.models import GENESIS_HASH, AuditEntry
from audit.verify import verify_chain
from compliance.auditlog.selectors import AUDIT_EXPORT_COLUMNS
from compliance.exports.services import export_start
from compliance.exports.table import ExportTable
from compliance.exports.verify import manifest_verify
from compliance.exports.writer import ExportWriter
from compliance.models import ExportRecord
from portal.permissions import SystemActor

pytestmark = pytest.mark.django_db

EXPORTS = reverse("compliance:exports")
AUDIT_EXPORT = reverse("compliance:export", args=["audit"])


def _client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _manifest_url(export_id: int | str) -> str:
    return reverse("compliance:export_manifest", args=[int(export_id)])


@pytest.fixture
def entries(officer: User, supervisor: User) -> list[AuditEntry]:
    return [
        audit_record(
            actor=officer,
            action="credit_line.usable_limit_set",
            target=("scoring.creditline", "11"),
            data={"block": 3, "reason_code": "THIN_FILE", "phone_masked": "138****5678"},
        ),
        audit_record(
            actor=supervisor,
            action="decision.approved",
            target=("cases.decision", "5"),
            data={"comment_length": 12},
        ),
        audit_record(
            actor=officer,
            action="credit_line.recommendation_applied",
            target=("scoring.creditline", "12"),
            data={"name_masked": "张*", "usable_limit": "5000.00", "note": 'a "quoted",\nline'},
        ),
        audit_record(
            actor=SystemActor("nightly_detection"),
            action="case.opened",
            target=("cases.case", "8"),
            data={"category": "limit_unusable"},
        ),
    ]


def _download(client: Client, url: str, params: dict[str, str]) -> tuple[Any, bytes]:
    response = client.get(url, params)
    assert response.status_code == 200, response.content[:500]
    return response, b"".join(response.streaming_content)


def _append_chain(count: int, *, action: str = "bench.bulk") -> None:
    """Append ``count`` valid entries in bulk, hashed as audit_record hashes them."""
    last = AuditEntry.objects.order_by("-id").values_list("hash", "created_at").first()
    prev_hash, moment = last if last else (GENESIS_HASH, timezone.now())
    batch: list[AuditEntry] = []
    for n in range(count):
        moment += timedelta(microseconds=41)
        fields: dict[str, Any] = {
            "created_at": moment,
            "actor_id": None,
            "actor_label": "system:bulk",
            "action": action,
            "target_type": "scoring.creditline",
            "target_id": str(n),
            "data": {"n": n, "reason_code": "THIN_FILE", "phone_masked": "139****0001"},
        }
        digest = entry_hash(prev_hash=prev_hash, **fields)
        batch.append(AuditEntry(prev_hash=prev_hash, hash=digest, **fields))
        prev_hash = digest
    AuditEntry.objects.bulk_create(batch, batch_size=2000)


# --- the file ---------------------------------------------------------------------------------


def test_an_auditor_streams_the_filtered_audit_log_as_csv(
    auditor: User, entries: list[AuditEntry]
) -> None:
    response, content = _download(
        _client_for(auditor), AUDIT_EXPORT, {"action": "credit_line.", "format": "csv"}
    )

    assert isinstance(response, StreamingHttpResponse)
    assert not response.has_header("Content-Length")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    export_id = response["X-Export-Id"]
    assert response["Content-Disposition"] == (
        f'attachment; filename="audit-export-{export_id}.csv"'
    )
    assert content.startswith(b"\xef\xbb\xbf")  # a BOM, so spreadsheets read it as UTF-8
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))
    assert rows[0] == list(AUDIT_EXPORT_COLUMNS)
    lifted, overridden = entries[0], entries[2]
    assert [row[0] for row in rows[1:]] == [str(lifted.id), str(overridden.id)]
    assert rows[1][1:7] == [
        lifted.created_at.isoformat(timespec="microseconds"),
        "officer",
        "credit_line.usable_limit_set",
        "scoring.creditline",
        "11",
        '{"block":3,"reason_code":"THIN_FILE","phone_masked":"138****5678"}',
    ]
    assert rows[1][7:] == [lifted.prev_hash, lifted.hash]
    assert json.loads(rows[2][6])["note"] == 'a "quoted",\nline'
    assert "张*" in rows[2][6]


def test_an_auditor_streams_the_filtered_audit_log_as_json(
    auditor: User, entries: list[AuditEntry]
) -> None:
    response, content = _download(
        _client_for(auditor), AUDIT_EXPORT, {"actor": "officer", "format": "json"}
    )

    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"].endswith('.json"')
    rows = json.loads(content)
    assert [row["id"] for row in rows] == [entries[0].id, entries[2].id]
    assert list(rows[0]) == list(AUDIT_EXPORT_COLUMNS)
    assert rows[0]["data"] == {
        "block": 3,
        "reason_code": "THIN_FILE",
        "phone_masked": "138****5678",
    }
    assert rows[1]["data"]["name_masked"] == "张*"
    assert rows[1]["created_at"] == entries[2].created_at.isoformat(timespec="microseconds")
    assert content.decode().splitlines()[0] == "["  # one object per line, streamed


def test_the_exported_rows_still_verify_as_a_chain(
    auditor: User, entries: list[AuditEntry]
) -> None:
    _response, content = _download(_client_for(auditor), AUDIT_EXPORT, {"format": "json"})

    rows = json.loads(content)
    exported = rows[: len(entries)]  # the export's own "export.started" entry follows
    for row in exported:
        assert row["hash"] == entry_hash(
            prev_hash=row["prev_hash"],
            created_at=AuditEntry.objects.get(pk=row["id"]).created_at,
            actor_id=AuditEntry.objects.get(pk=row["id"]).actor_id,
            actor_label=row["actor"],
            action=row["action"],
            target_type=row["target_type"],
            target_id=row["target_id"],
            data=row["data"],
        )


def test_an_empty_export_is_a_header_or_an_empty_array(auditor: User) -> None:
    client = _client_for(auditor)
    _r, csv_content = _download(client, AUDIT_EXPORT, {"action": "retention.run", "format": "csv"})
    _r, json_content = _download(
        client, AUDIT_EXPORT, {"action": "retention.run", "format": "json"}
    )

    assert csv_content.decode("utf-8-sig") == ",".join(AUDIT_EXPORT_COLUMNS) + "\r\n"
    assert json.loads(json_content) == []


def test_the_writer_sends_chunks_before_it_has_read_every_row() -> None:
    read = 0

    def rows() -> Iterator[tuple[int, str]]:
        nonlocal read
        for n in range(10_000):
            read += 1
            yield n, "x" * 40

    writer = ExportWriter(ExportTable("test", ["n", "text"], rows()), "csv", flush_at=4096)
    chunks = iter(writer)
    first = next(chunks)

    assert first.startswith(b"\xef\xbb\xbfn,text\r\n0,")
    assert read < 200
    rest = b"".join(chunks)
    assert writer.rows == 10_000
    assert writer.sha256 == hashlib.sha256(first + rest).hexdigest()


def test_csv_cells_a_spreadsheet_would_run_as_formulas_are_written_as_text() -> None:
    typed = ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\tlead", "\rlead"]
    plain = ["-120.50", "+7", "-3", "a=b", "核查"]
    table = ExportTable("test", ["value"], ((text,) for text in typed + plain))
    content = b"".join(ExportWriter(table, "csv")).decode("utf-8-sig")

    cells = [row[0] for row in csv.reader(io.StringIO(content, newline=""))][1:]
    assert cells == ["'" + text for text in typed] + plain
    # JSON keeps what is stored.
    table = ExportTable("test", ["value"], ((text,) for text in typed))
    assert [row["value"] for row in json.loads(b"".join(ExportWriter(table, "json")))] == typed


# --- the record, the audit entries and the manifest ------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_a_finished_export_is_recorded_audited_and_its_manifest_verifies(
    auditor: User, entries: list[AuditEntry], fmt: str
) -> None:
    client = _client_for(auditor)
    response, content = _download(client, AUDIT_EXPORT, {"action": "credit_line.", "format": fmt})

    record = ExportRecord.objects.get(pk=response["X-Export-Id"])
    assert record.created_by == auditor
    assert (record.kind, record.format, record.rows) == ("audit", fmt, 2)
    assert record.filters == {"action": "credit_line."}
    assert record.sha256 == hashlib.sha256(content).hexdigest()
    assert record.finished_at is not None
    started, completed = AuditEntry.objects.filter(
        target_type="compliance.exportrecord", target_id=str(record.pk)
    ).order_by("id")
    assert (started.action, started.actor, started.target_type) == (
        "export.started",
        auditor,
        "compliance.exportrecord",
    )
    assert started.data == {"kind": "audit", "format": fmt, "filters": ["action"]}
    assert completed.action == "export.completed"
    assert completed.data["rows"] == 2
    assert completed.data["sha256"] == record.sha256

    manifest_response = client.get(_manifest_url(record.pk))
    assert manifest_response.status_code == 200
    assert manifest_response["Content-Disposition"] == (
        f'attachment; filename="audit-export-{record.pk}.manifest.json"'
    )
    manifest = json.loads(manifest_response.content)
    assert manifest["export_id"] == record.pk
    assert manifest["columns"] == list(AUDIT_EXPORT_COLUMNS)
    assert manifest["created_by"] == "auditor"
    assert manifest["rows"] == 2
    assert manifest["sha256"] == record.sha256
    assert manifest["filters"] == {"action": "credit_line."}
    assert len(manifest["signature"]) == 64
    assert len(manifest["key_id"]) == 16
    result = manifest_verify(content, manifest)
    assert result.ok, result.problems
    assert result.rows == 2


@pytest.fixture
def exported(auditor: User, entries: list[AuditEntry]) -> tuple[bytes, dict[str, Any]]:
    client = _client_for(auditor)
    response, content = _download(client, AUDIT_EXPORT, {"format": "csv"})
    manifest = json.loads(client.get(_manifest_url(response["X-Export-Id"])).content)
    return content, manifest


def test_changing_one_byte_of_the_file_fails_verification_naming_the_digest(
    exported: tuple[bytes, dict[str, Any]],
) -> None:
    content, manifest = exported
    position = content.index(b"138****5678")
    tampered = content[:position] + b"9" + content[position + 1 :]

    result = manifest_verify(tampered, manifest)

    assert not result.ok
    assert len(result.problems) == 1
    assert "digest mismatch" in result.problems[0]
    assert hashlib.sha256(tampered).hexdigest() in result.problems[0]


def test_a_removed_row_fails_verification_naming_the_digest_and_the_row_count(
    exported: tuple[bytes, dict[str, Any]],
) -> None:
    content, manifest = exported
    lines = content.split(b"\r\n")
    shortened = b"\r\n".join(lines[:2] + lines[3:])

    result = manifest_verify(shortened, manifest)

    assert not result.ok
    assert any("digest mismatch" in problem for problem in result.problems)
    assert any(
        "row count mismatch" in problem and f"holds {manifest['rows'] - 1} rows" in problem
        for problem in result.problems
    )


def test_an_edited_manifest_fails_verification_naming_the_signature(
    exported: tuple[bytes, dict[str, Any]],
) -> None:
    content, manifest = exported
    edited = {**manifest, "rows": manifest["rows"] + 1}

    result = manifest_verify(content, edited)

    assert not result.ok
    assert any("bad signature" in problem for problem in result.problems)
    assert any("row count mismatch" in problem for problem in result.problems)


def test_a_manifest_edited_to_match_a_tampered_file_still_fails_on_its_signature(
    exported: tuple[bytes, dict[str, Any]],
) -> None:
    content, manifest = exported
    tampered = content.replace(b"THIN_FILE", b"THICK_FIL")
    edited = {**manifest, "sha256": hashlib.sha256(tampered).hexdigest()}

    result = manifest_verify(tampered, edited)

    assert not result.ok
    assert [problem for problem in result.problems if "bad signature" in problem]
    assert not [problem for problem in result.problems if "digest" in problem]


def test_a_manifest_signed_with_an_unknown_key_fails_naming_the_key_id(
    exported: tuple[bytes, dict[str, Any]], settings: Any
) -> None:
    content, manifest = exported
    settings.EXPORT_SIGNING_KEY = "a-completely-different-export-signing-key"

    result = manifest_verify(content, manifest)

    assert not result.ok
    assert result.problems == [
        (
            f"The manifest was signed with key id {manifest['key_id']}, which is not one of "
            "this portal's export signing keys (unknown key id)."
        )
    ]


def test_a_rotated_key_still_verifies_older_manifests_and_signs_new_ones(
    auditor: User, exported: tuple[bytes, dict[str, Any]], settings: Any
) -> None:
    content, manifest = exported
    settings.EXPORT_SIGNING_KEY = (
        f"a-new-export-signing-key-for-rotation,{settings.EXPORT_SIGNING_KEY}"
    )

    assert manifest_verify(content, manifest).ok
    client = _client_for(auditor)
    response, new_content = _download(client, AUDIT_EXPORT, {"format": "json"})
    new_manifest = json.loads(client.get(_manifest_url(response["X-Export-Id"])).content)
    assert new_manifest["key_id"] != manifest["key_id"]
    assert manifest_verify(new_content, new_manifest).ok


def test_a_manifest_missing_fields_names_them(exported: tuple[bytes, dict[str, Any]]) -> None:
    content, manifest = exported
    del manifest["signature"], manifest["sha256"]

    result = manifest_verify(content, manifest)

    assert not result.ok
    assert "The manifest has no “sha256” field." in result.problems
    assert "The manifest has no “signature” field." in result.problems


def test_a_json_file_that_is_no_longer_an_export_is_named(
    auditor: User, entries: list[AuditEntry]
) -> None:
    client = _client_for(auditor)
    response, content = _download(client, AUDIT_EXPORT, {"format": "json"})
    manifest = json.loads(client.get(_manifest_url(response["X-Export-Id"])).content)

    result = manifest_verify(content.replace(b"},\n{", b"}\n{", 1), manifest)

    assert not result.ok
    assert any("not a JSON export" in problem for problem in result.problems)
    assert any("digest mismatch" in problem for problem in result.problems)


def test_the_manifest_of_an_export_still_streaming_is_a_409(
    auditor: User, entries: list[AuditEntry]
) -> None:
    record, chunks = export_start(actor=auditor, kind="audit", fmt="csv", params={})
    next(iter(chunks))  # started, not finished

    response = _client_for(auditor).get(_manifest_url(record.pk))

    assert response.status_code == 409
    assert "has not finished yet" in response.content.decode()


# --- the command ------------------------------------------------------------------------------


def _files(tmp_path: Path, content: bytes, manifest: dict[str, Any]) -> tuple[str, str]:
    data_file, manifest_file = tmp_path / "audit.csv", tmp_path / "audit.manifest.json"
    data_file.write_bytes(content)
    manifest_file.write_text(json.dumps(manifest), encoding="utf-8")
    return str(data_file), str(manifest_file)


def test_export_verify_prints_ok_and_exits_zero_for_a_good_export(
    tmp_path: Path, exported: tuple[bytes, dict[str, Any]]
) -> None:
    content, manifest = exported
    out = io.StringIO()

    call_command("export_verify", *_files(tmp_path, content, manifest), stdout=out)

    assert out.getvalue().startswith(f"OK: export {manifest['export_id']} (audit, csv), ")
    assert f"{manifest['rows']} rows" in out.getvalue()
    assert manifest["sha256"] in out.getvalue()


def test_export_verify_names_every_problem_and_exits_one(
    tmp_path: Path, exported: tuple[bytes, dict[str, Any]]
) -> None:
    content, manifest = exported
    lines = content.split(b"\r\n")
    tampered = b"\r\n".join(lines[:2] + lines[3:])
    edited = {**manifest, "filters": {"action": "something.else"}}
    out, err = io.StringIO(), io.StringIO()

    with pytest.raises(SystemExit) as exited:
        call_command("export_verify", *_files(tmp_path, tampered, edited), stdout=out, stderr=err)

    assert exited.value.code == 1
    assert out.getvalue() == ""
    problems = err.getvalue().splitlines()
    assert problems[0] == "FAILED: the export does not match its manifest."
    assert len(problems) == 4
    assert "bad signature" in problems[1]
    assert "digest mismatch" in problems[2]
    assert "row count mismatch" in problems[3]


def test_export_verify_exits_one_for_a_missing_file_or_a_manifest_that_is_not_json(
    tmp_path: Path, exported: tuple[bytes, dict[str, Any]]
) -> None:
    content, manifest = exported
    data_file, manifest_file = _files(tmp_path, content, manifest)
    (tmp_path / "broken.json").write_text("{not json", encoding="utf-8")

    for arguments in [
        (str(tmp_path / "missing.csv"), manifest_file),
        (data_file, str(tmp_path / "broken.json")),
    ]:
        err = io.StringIO()
        with pytest.raises(SystemExit) as exited:
            call_command("export_verify", *arguments, stdout=io.StringIO(), stderr=err)
        assert exited.value.code == 1
        assert "Cannot read" in err.getvalue() or "not a JSON object" in err.getvalue()


# --- who may export, and bad requests ---------------------------------------------------------


def test_an_officer_gets_403_on_exports_and_404_on_a_manifest(
    officer: User, auditor: User, entries: list[AuditEntry]
) -> None:
    auditor_client = _client_for(auditor)
    response, _content = _download(auditor_client, AUDIT_EXPORT, {"format": "csv"})
    client = _client_for(officer)

    assert client.get(AUDIT_EXPORT, {"format": "csv"}).status_code == 403
    assert client.get(EXPORTS).status_code == 403
    assert client.get(_manifest_url(response["X-Export-Id"])).status_code == 404
    assert ExportRecord.objects.count() == 1


def test_a_supervisor_who_reads_the_audit_log_may_not_export_it(supervisor: User) -> None:
    assert _client_for(supervisor).get(AUDIT_EXPORT, {"format": "csv"}).status_code == 403
    with pytest.raises(PermissionDenied):
        export_start(actor=supervisor, kind="audit", fmt="csv", params={})


def test_signed_out_visitors_are_sent_to_sign_in(entries: list[AuditEntry]) -> None:
    response = Client().get(AUDIT_EXPORT, {"format": "csv"})

    assert response.status_code == 302
    assert ExportRecord.objects.count() == 0


def test_another_auditor_may_fetch_the_manifest(auditor: User, entries: list[AuditEntry]) -> None:
    from tests.factories.accounts import UserFactory

    colleague = UserFactory(username="auditor2", roles=["compliance_auditor"])
    response, _content = _download(_client_for(auditor), AUDIT_EXPORT, {"format": "csv"})

    assert _client_for(colleague).get(_manifest_url(response["X-Export-Id"])).status_code == 200


def test_an_unknown_kind_is_a_404(auditor: User) -> None:
    client = _client_for(auditor)

    assert (
        client.get(reverse("compliance:export", args=["nothing"]), {"format": "csv"}).status_code
        == 404
    )
    assert client.get(_manifest_url(999_999)).status_code == 404
    assert ExportRecord.objects.count() == 0


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"format": "xml"}, "Choose the format csv or json."),
        ({}, "Choose the format csv or json."),
        (
            {"format": "csv", "since": "2026-11-02T10:00", "until": "2026-11-01T10:00"},
            "“Until” must be later than “since”.",
        ),
        ({"format": "json", "since": "not a time"}, "Enter a valid date/time."),
    ],
)
def test_a_bad_format_or_filter_is_a_400_with_the_reason(
    auditor: User, params: dict[str, str], message: str
) -> None:
    response = _client_for(auditor).get(AUDIT_EXPORT, params)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert ExportRecord.objects.count() == 0
    assert not AuditEntry.objects.filter(action="export.started").exists()


# --- pages ------------------------------------------------------------------------------------


def test_the_audit_log_links_to_exports_with_its_current_filters(
    auditor: User, supervisor: User, entries: list[AuditEntry]
) -> None:
    response = _client_for(auditor).get(
        reverse("compliance:audit_log"), {"action": "credit_line.", "before": entries[-1].id}
    )

    body = response.content.decode()
    assert f'href="{AUDIT_EXPORT}?action=credit_line.&amp;format=csv"' in body
    assert f'href="{AUDIT_EXPORT}?action=credit_line.&amp;format=json"' in body
    supervisor_body = _client_for(supervisor).get(reverse("compliance:audit_log")).content
    assert b'data-testid="export-links"' not in supervisor_body


def test_the_exports_page_lists_exports_with_their_digest_and_how_to_verify(
    auditor: User, entries: list[AuditEntry]
) -> None:
    client = _client_for(auditor)
    response, _content = _download(client, AUDIT_EXPORT, {"action": "case.opened", "format": "csv"})
    export_start(actor=auditor, kind="audit", fmt="json", params={})  # never downloaded
    record = ExportRecord.objects.get(pk=response["X-Export-Id"])

    page = client.get(EXPORTS)

    assert page.status_code == 200
    body = page.content.decode()
    assert "python manage.py export_verify FILE MANIFEST" in body
    assert record.sha256 in body
    assert _manifest_url(record.pk) in body
    assert "case.opened" in body
    assert "not finished" in body


def test_the_exports_page_runs_a_bounded_number_of_queries(
    auditor: User, entries: list[AuditEntry], django_assert_max_num_queries: Any
) -> None:
    for _n in range(60):
        export_start(actor=auditor, kind="audit", fmt="csv", params={"action": "case.opened"})
    client = _client_for(auditor)
    client.get(EXPORTS)

    with django_assert_max_num_queries(6):
        response = client.get(EXPORTS)
    assert len(response.context["records"]) == 50
    assert response.context["page"].next_cursor is not None
    assert str(response.context["page"].total) == "60"


# --- scale: queries and memory do not grow with rows ------------------------------------------


def test_an_export_runs_the_same_few_queries_whatever_its_size(auditor: User) -> None:
    client = _client_for(auditor)
    client.get(EXPORTS)  # warm the session and permission caches
    counts = []
    for rows in (10, 5000):
        _append_chain(rows)
        with CaptureQueriesContext(connection) as queries:
            _response, content = _download(client, AUDIT_EXPORT, {"format": "csv"})
        assert content.count(b"\r\n") > rows
        counts.append(len(queries))

    assert counts[0] == counts[1]
    assert counts[1] <= 16


def test_streaming_twenty_thousand_rows_keeps_memory_flat(auditor: User) -> None:
    _append_chain(20_000)
    client = _client_for(auditor)

    tracemalloc.start()
    try:
        response = client.get(AUDIT_EXPORT, {"format": "json"})
        assert isinstance(response, StreamingHttpResponse)
        size = 0
        for chunk in response.streaming_content:
            size += len(chunk)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert ExportRecord.objects.get(pk=response["X-Export-Id"]).rows == 20_001
    # The rows held as Python objects would take several times the file (over 7 MB); the
    # stream holds one chunk of rows from the cursor and 64 KiB of output at a time.
    assert size > 7_000_000
    assert peak < 6_000_000, f"peak {peak:,} bytes for a file of {size:,} bytes"
    assert verify_chain().ok


# --- the other exportable views ---------------------------------------------------------------


def test_a_customers_history_exports_masked_signed_and_verifiable(
    auditor: User, officer: User
) -> None:
    from audit.history_rows import save_with_history
    from tests.factories.scoring import CustomerFactory

    person = CustomerFactory(name="张三丰", phone="13812345678", city="上海")
    person.name, person.phone = "李四光", "13987654321"
    save_with_history(person, actor=officer, reason="customer.corrected", fields=["name", "phone"])
    client = _client_for(auditor)
    url = reverse("compliance:export", args=["history"])

    response, content = _download(
        client, url, {"model": "customer", "id": str(person.pk), "format": "csv"}
    )

    text = content.decode("utf-8-sig")
    assert "139****4321" in text
    for plain in ("张三丰", "李四光", "13812345678", "13987654321"):
        assert plain not in text
    manifest = json.loads(client.get(_manifest_url(response["X-Export-Id"])).content)
    assert manifest["kind"] == "history"
    assert manifest["filters"] == {"model": "customer", "id": str(person.pk)}
    assert manifest["rows"] >= 2
    assert manifest_verify(content, manifest).ok


def test_a_history_export_without_its_record_is_a_400(auditor: User) -> None:
    url = reverse("compliance:export", args=["history"])

    response = _client_for(auditor).get(url, {"format": "json"})

    assert response.status_code == 400
    assert ExportRecord.objects.count() == 0


def test_the_access_log_exports_field_names_never_values(auditor: User, officer: User) -> None:
    from scoring.customers.access import AccessSource, PersonalDataAccess
    from tests.factories.scoring import CustomerFactory

    person = CustomerFactory(name="王小明", phone="13812345678", external_id="CUST-0001")
    PersonalDataAccess.objects.create(
        at=timezone.now(),
        actor=officer,
        actor_label=officer.username,
        customer=person,
        fields=["name", "phone"],
        purpose="Call back about the frozen limit",
        source=AccessSource.PAGE,
        ip_address="10.0.0.1",
    )
    client = _client_for(auditor)
    url = reverse("compliance:export", args=["access"])

    response, content = _download(client, url, {"actor": "officer", "format": "json"})

    rows = json.loads(content)
    assert len(rows) == 1
    assert "王小明" not in content.decode()
    assert "13812345678" not in content.decode()
    manifest = json.loads(client.get(_manifest_url(response["X-Export-Id"])).content)
    assert (manifest["kind"], manifest["rows"]) == ("access", 1)
    assert manifest_verify(content, manifest).ok


def test_the_export_started_entry_names_the_filters_used_but_never_their_values(
    auditor: User, officer: User
) -> None:
    from scoring.customers.access import AccessSource, PersonalDataAccess
    from tests.factories.scoring import CustomerFactory

    person = CustomerFactory(external_id="CUST-0042")
    PersonalDataAccess.objects.create(
        actor=officer,
        actor_label=officer.username,
        customer=person,
        fields=["phone"],
        purpose="Call back about the frozen limit",
        source=AccessSource.PAGE,
    )
    url = reverse("compliance:export", args=["access"])
    filters = {"purpose": "frozen limit", "actor": "officer", "customer": "CUST-0042"}

    response, _content = _download(_client_for(auditor), url, {**filters, "format": "csv"})

    record = ExportRecord.objects.get(pk=response["X-Export-Id"])
    assert record.filters == filters  # the signed manifest keeps them
    started = AuditEntry.objects.get(action="export.started", target_id=str(record.pk))
    assert started.data == {
        "kind": "access",
        "format": "csv",
        "filters": ["actor", "customer", "purpose"],
    }
    written = json.dumps(started.data, ensure_ascii=False)
    for value in filters.values():
        assert value not in written
