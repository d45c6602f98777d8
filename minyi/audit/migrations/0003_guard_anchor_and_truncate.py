from django.db import migrations

# Findings H5/H6 (docs/security.md, 安全审计): the anchor table is guarded like the audit tables
# (no DELETE, UPDATE only forward), and PostgreSQL refuses TRUNCATE on all four outside flush.
AUDIT_TABLES = ["workflow_auditevent", "accountability_recordaudit", "audit_securityevent"]


def install(apps, schema_editor):
    from minyi.audit import guard

    guard.install_anchor_guard(schema_editor)
    for table in AUDIT_TABLES:
        guard.install_truncate_guard(schema_editor, table)


def uninstall(apps, schema_editor):
    from minyi.audit import guard

    guard.uninstall(schema_editor, guard.ANCHOR_TABLE)
    for table in AUDIT_TABLES:
        guard.uninstall_truncate_guard(schema_editor, table)


class Migration(migrations.Migration):

    dependencies = [
        ("audit", "0002_audit_seal_chain"),
        ("workflow", "0002_audit_seal_columns"),
        ("accountability", "0004_record_audit_seal_columns"),
    ]

    operations = [migrations.RunPython(install, uninstall)]
