"""Who reveals personal data, who reads the access log, who handles data-subject requests;
and the default retention policies (changed later by privacy officers, with history).

Revealing a customer's personal fields (for a stated purpose, logged): officers,
supervisors and privacy officers. Reading the access log, requests, holds, retention and
exports: auditors. Handling requests, legal holds and retention policies: privacy officers.
"""

from django.db import migrations

from accounts.roles import Role, grant, revoke

PERMISSIONS = {
    Role.RISK_OFFICER.value: ["compliance.reveal_personal_data"],
    Role.SUPERVISOR.value: ["compliance.reveal_personal_data"],
    Role.COMPLIANCE_AUDITOR.value: [
        "compliance.view_personaldataaccess",
        "compliance.view_datasubjectrequest",
        "compliance.view_legalhold",
        "compliance.view_retentionpolicy",
        "compliance.view_retentionrun",
        "compliance.view_exportrecord",
    ],
    Role.PRIVACY_OFFICER.value: [
        "compliance.reveal_personal_data",
        "compliance.view_datasubjectrequest",
        "compliance.add_datasubjectrequest",
        "compliance.change_datasubjectrequest",
        "compliance.fulfil_datasubjectrequest",
        "compliance.view_legalhold",
        "compliance.add_legalhold",
        "compliance.change_legalhold",
        "compliance.view_retentionpolicy",
        "compliance.change_retentionpolicy",
        "compliance.view_retentionrun",
    ],
}

# Days after the event that ends the purpose (see compliance.privacy.retention for each event).
DEFAULT_RETENTION = {
    "customer_personal_data": 5 * 365,
    "feedback_text": 3 * 365,
    "case_notes": 5 * 365,
    "personal_data_access": 3 * 365,
}


def forwards(apps, schema_editor):
    grant(apps, PERMISSIONS)
    policy = apps.get_model("compliance", "RetentionPolicy")
    for record_type, days in DEFAULT_RETENTION.items():
        policy.objects.get_or_create(record_type=record_type, defaults={"keep_days": days})


def backwards(apps, schema_editor):
    revoke(apps, PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("compliance", "0005_access_log_append_only"),
        ("accounts", "0002_roles"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
