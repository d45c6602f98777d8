"""An unguessable public token per appeal, filled in for existing rows before it becomes unique."""

import secrets

from django.db import migrations, models

import minyi.appeals.models


def fill_tokens(apps, schema_editor):
    Appeal = apps.get_model("appeals", "Appeal")
    batch = []
    for appeal in Appeal.objects.filter(public_token="").only("pk").iterator(chunk_size=2000):
        appeal.public_token = secrets.token_urlsafe(16)
        batch.append(appeal)
        if len(batch) >= 2000:
            Appeal.objects.bulk_update(batch, ["public_token"])
            batch = []
    if batch:
        Appeal.objects.bulk_update(batch, ["public_token"])


class Migration(migrations.Migration):
    dependencies = [("appeals", "0003_alter_appeal_status")]

    operations = [
        migrations.AddField(
            model_name="appeal",
            name="public_token",
            field=models.CharField(default="", editable=False, max_length=32, verbose_name="公开查询码"),
            preserve_default=False,
        ),
        migrations.RunPython(fill_tokens, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="appeal",
            name="public_token",
            field=models.CharField(default=minyi.appeals.models.new_public_token, editable=False, max_length=32, unique=True, verbose_name="公开查询码"),
        ),
    ]
