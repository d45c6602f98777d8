"""Encrypt the contact phones written before 0006 (SM4-GCM) and fill their blind index (HMAC-SM3).

Raw SQL, because the field now decrypts on read and the old rows are plaintext. Batches by id,
so a large table is not read in one go; rows already encrypted (``v<id>:…``) are left alone, which
makes the migration safe to re-run after an interruption. The reverse decrypts, for a rollback.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

BATCH = 2000
CONTEXT = "appeals.appeal.phone"  # EncryptedCharField's associated data for Appeal.phone


def _batches(schema_editor: Any, table: str, column: str) -> Any:
    connection = schema_editor.connection
    quoted_table, quoted_column = connection.ops.quote_name(table), connection.ops.quote_name(column)
    # Identifiers come from the model's metadata, values are parameters: nothing user-supplied is formatted in.
    select = f"SELECT id, {quoted_column} FROM {quoted_table} WHERE id > %s AND {quoted_column} <> '' ORDER BY id"  # noqa: S608
    last = 0
    with connection.cursor() as cursor:
        while True:
            cursor.execute(select + f" LIMIT {BATCH}", [last])
            rows = cursor.fetchall()
            if not rows:
                return
            yield cursor, rows
            last = rows[-1][0]


def encrypt_phones(apps: Any, schema_editor: Any) -> None:
    from minyi.core.crypto import digits_only, key_id_of, keyring

    ring = keyring()
    table = apps.get_model("appeals", "Appeal")._meta.db_table
    update = f"UPDATE {schema_editor.connection.ops.quote_name(table)} SET phone = %s, phone_index = %s WHERE id = %s"  # noqa: S608
    for cursor, rows in _batches(schema_editor, table, "phone"):
        changes = [
            (ring.encrypt(phone, context=CONTEXT), ring.blind_index(digits_only(phone)) if digits_only(phone) else "", pk)
            for pk, phone in rows
            if key_id_of(phone) is None
        ]
        if changes:
            cursor.executemany(update, changes)


def decrypt_phones(apps: Any, schema_editor: Any) -> None:
    from minyi.core.crypto import key_id_of, keyring

    ring = keyring()
    table = apps.get_model("appeals", "Appeal")._meta.db_table
    update = f"UPDATE {schema_editor.connection.ops.quote_name(table)} SET phone = %s, phone_index = '' WHERE id = %s"  # noqa: S608
    for cursor, rows in _batches(schema_editor, table, "phone"):
        changes = [(ring.decrypt(phone, context=CONTEXT), pk) for pk, phone in rows if key_id_of(phone) is not None]
        if changes:
            cursor.executemany(update, changes)


class Migration(migrations.Migration):
    dependencies = [
        ("appeals", "0006_encrypt_phone_columns"),
    ]

    operations = [
        migrations.RunPython(encrypt_phones, decrypt_phones, elidable=False),
    ]
