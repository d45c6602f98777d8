"""Phones at rest: SM4-GCM ciphertext in the column, a blind index for look-ups, loud failure on a wrong key."""

from __future__ import annotations

import base64
import importlib
import os
import subprocess
import sys
from types import SimpleNamespace
from typing import Any

import pytest
from django.apps import apps
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.db import connection
from django.test import override_settings

from minyi.appeals import services
from minyi.appeals.models import Appeal
from minyi.conftest import PRODUCTION_ENV, TEST_PII_KEYS, intake
from minyi.core.crypto import Keyring, PiiCryptoError, digits_only
from minyi.core.keyring import load_pii_keys, parse_keys
from minyi.directory.models import Channel

PHONE = "13812345678"  # the phone conftest.intake gives every appeal
OTHER_KEY = bytes.fromhex("ffeeddccbbaa99887766554433221100")


def raw_row(appeal: Appeal) -> dict[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM appeals_appeal WHERE id = %s", [appeal.pk])
        names = [c[0] for c in cursor.description]
        return dict(zip(names, cursor.fetchone(), strict=True))


# ----- the cipher and the keys --------------------------------------------------------------------


def test_round_trip_uses_a_fresh_nonce_and_the_current_key() -> None:
    ring = Keyring({1: TEST_PII_KEYS[1], 2: OTHER_KEY})
    first, second = ring.encrypt(PHONE, context="t.phone"), ring.encrypt(PHONE, context="t.phone")
    assert first.startswith("v2:") and first != second  # random 96-bit nonce: equal phones do not look equal
    assert len(base64.b64decode(first[3:])) == 12 + len(PHONE) + 16  # nonce ‖ ciphertext ‖ GCM tag
    assert ring.decrypt(first, context="t.phone") == PHONE


def test_ciphertext_is_bound_to_its_column() -> None:
    ring = Keyring(TEST_PII_KEYS)
    token = ring.encrypt(PHONE, context="appeals.appeal.phone")
    with pytest.raises(PiiCryptoError, match="密钥不符或数据被改动"):
        ring.decrypt(token, context="other.model.phone")


def test_wrong_key_and_unknown_key_fail_loudly() -> None:
    token = Keyring(TEST_PII_KEYS).encrypt(PHONE, context="c")
    with pytest.raises(PiiCryptoError, match="密钥不符"):
        Keyring({1: OTHER_KEY}).decrypt(token, context="c")
    with pytest.raises(PiiCryptoError, match="未配置该密钥"):
        Keyring({2: OTHER_KEY}).decrypt(token, context="c")
    with pytest.raises(PiiCryptoError, match="不是密文"):
        Keyring(TEST_PII_KEYS).decrypt(PHONE, context="c")


def test_keys_come_in_hex_or_base64_and_bad_ones_are_refused_without_echoing_them() -> None:
    hex_key, b64_key = "00" * 16, base64.b64encode(b"k" * 16).decode()
    assert parse_keys(f"1:{hex_key}, 2:{b64_key}", source="env") == {1: bytes(16), 2: b"k" * 16}
    with pytest.raises(ImproperlyConfigured) as short:
        parse_keys("1:abcdef", source="env")
    assert "abcdef" not in str(short.value)
    with pytest.raises(ImproperlyConfigured, match="twice"):
        parse_keys(f"1:{hex_key}\n1:{hex_key}", source="file")


def test_key_file_is_read(tmp_path: Any) -> None:
    path = tmp_path / "pii.keys"
    path.write_text("# rotated 2026-11\n1:" + "11" * 16 + "\n2:" + "22" * 16 + "\n")
    keys = load_pii_keys({"MINYI_PII_KEY_FILE": str(path)}, debug=False, secret_key="s")
    assert keys == {1: bytes([0x11]) * 16, 2: bytes([0x22]) * 16}


def test_production_without_a_key_is_refused_and_debug_derives_one() -> None:
    with pytest.raises(ImproperlyConfigured, match="MINYI_PII_KEYS"):
        load_pii_keys({}, debug=False, secret_key="x" * 50)
    assert set(load_pii_keys({}, debug=True, secret_key="x" * 50)) == {0}


def test_production_settings_without_a_key_refuse_to_start() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MINYI_PII_")}
    env.update({k: v for k, v in PRODUCTION_ENV.items() if k != "MINYI_PII_KEYS"}, DJANGO_SETTINGS_MODULE="minyi.settings")
    started = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], env=env, capture_output=True, text=True, check=False
    )
    assert started.returncode != 0
    assert "ImproperlyConfigured" in started.stderr and "MINYI_PII_KEYS" in started.stderr


# ----- the column --------------------------------------------------------------------------------


def test_the_column_holds_ciphertext_only(people: dict[str, Any]) -> None:
    appeal = intake(by=people["operator"])
    row = raw_row(appeal)
    assert row["phone"].startswith("v1:")
    assert not any(PHONE in str(value) for value in row.values())  # no column of the row, index included
    assert Appeal.objects.get(pk=appeal.pk).phone == PHONE
    assert Appeal.objects.filter(pk=appeal.pk).values_list("phone", flat=True).get() == PHONE


def test_callers_are_found_through_the_blind_index(people: dict[str, Any]) -> None:
    appeal = intake(by=people["operator"])
    assert raw_row(appeal)["phone_index"].startswith("1:")
    for typed in (PHONE, "138 1234 5678", "+86 138-1234-5678"):
        assert list(Appeal.objects.with_phone(typed)) == [appeal]
    assert not Appeal.objects.with_phone("13700000000").exists()
    assert not Appeal.objects.with_phone("").exists()


def test_plaintext_lookups_on_the_encrypted_column_raise(people: dict[str, Any]) -> None:
    intake(by=people["operator"])
    with pytest.raises(FieldError, match="blind"):
        list(Appeal.objects.filter(phone=PHONE))
    with pytest.raises(FieldError):
        list(Appeal.objects.filter(phone__icontains="1381"))
    assert Appeal.objects.exclude(phone="").count() == 1  # "no phone" still works


def test_bulk_intake_encrypts_and_indexes(people: dict[str, Any]) -> None:
    channel = Channel.objects.get(code="12345")
    content = "明湖路路灯已经一周不亮，晚上出行不安全。"
    rows = [services.IntakeData(channel=channel, title=f"路灯不亮{i}", content=content, phone=f"1390000000{i}") for i in range(3)]
    services.bulk_intake(rows, by=people["operator"])
    assert Appeal.objects.with_phone("13900000001").get().title == "路灯不亮1"
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone FROM appeals_appeal")
        assert all(value.startswith("v1:") for (value,) in cursor.fetchall())


def test_a_wrong_key_fails_loudly_instead_of_showing_no_phone(people: dict[str, Any]) -> None:
    appeal = intake(by=people["operator"])
    with override_settings(MINYI_PII_KEYS={1: OTHER_KEY}), pytest.raises(PiiCryptoError, match="密钥不符"):
        Appeal.objects.get(pk=appeal.pk)


def test_data_migration_encrypts_existing_plaintext_rows(people: dict[str, Any]) -> None:
    appeal = intake(by=people["operator"])
    with connection.cursor() as cursor:  # as it was before 0006
        cursor.execute("UPDATE appeals_appeal SET phone = %s, phone_index = '' WHERE id = %s", ["139 0000 1234", appeal.pk])
    migration = importlib.import_module("minyi.appeals.migrations.0007_encrypt_existing_phones")
    editor = SimpleNamespace(connection=connection)
    migration.encrypt_phones(apps, editor)
    first = raw_row(appeal)["phone"]
    migration.encrypt_phones(apps, editor)  # re-running leaves encrypted rows alone
    assert raw_row(appeal)["phone"] == first and first.startswith("v1:")
    assert Appeal.objects.get(pk=appeal.pk).phone == "139 0000 1234"
    assert list(Appeal.objects.with_phone("13900001234")) == [appeal]
    migration.decrypt_phones(apps, editor)
    assert raw_row(appeal)["phone"] == "139 0000 1234"


def test_phone_normalisation_for_the_index() -> None:
    assert digits_only("+86 138-1234-5678") == digits_only("(138) 1234 5678") == PHONE
    assert digits_only("0512-6522 1234") == "051265221234"
