from django.db import migrations

# Found by the independent re-probe: any session could SET LOCAL minyi.allow_truncate = 'on' and empty
# the audit tables. The guard now lets TRUNCATE through only in a test database (pytest-django's flush).


def replace_functions(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from minyi.audit import guard

    schema_editor.execute(guard.PG_FUNCTIONS, params=None)  # no placeholders: the functions contain %


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_guard_anchor_and_truncate")]

    operations = [migrations.RunPython(replace_functions, migrations.RunPython.noop)]
