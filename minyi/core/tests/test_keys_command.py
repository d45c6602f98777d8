"""``minyi keys status|rotate``: re-encrypt under the new key, resumably, with a KEY_ROTATE row in the security log."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings

from minyi.appeals.models import Appeal
from minyi.audit.models import SecurityEvent, SecurityKind
from minyi.conftest import TEST_PII_KEYS, intake

NEW_KEY = bytes.fromhex("a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5")
BOTH = {1: TEST_PII_KEYS[1], 2: NEW_KEY}


def raw(appeal: Appeal) -> tuple[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone, phone_index FROM appeals_appeal WHERE id = %s", [appeal.pk])
        phone, index = cursor.fetchone()
    return phone, index


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("keys", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_rotation_re_encrypts_every_row_and_keeps_callers_findable(people: dict[str, Any]) -> None:
    first, second = intake(by=people["operator"]), intake(by=people["operator"])
    anonymous = intake(by=people["operator"], title="匿名举报", content="某小区门口长期占道经营，影响通行，请处理。")
    Appeal.objects.filter(pk=anonymous.pk).update(phone="", phone_index="")
    with override_settings(MINYI_PII_KEYS=BOTH):
        # A new key is current, the old ciphertexts still decrypt and are still found before the rotation.
        assert raw(first)[0].startswith("v1:") and Appeal.objects.get(pk=first.pk).phone == "13812345678"
        assert set(Appeal.objects.with_phone("13812345678")) == {first, second}
        status = run("status")
        assert "密钥 1：2 行" in status and "待轮换：2 行" in status

        assert "2 行已用密钥 2 重新加密" in run("rotate", "--batch-size", "1", "--no-progress")
        for appeal in (first, second):
            phone, index = raw(appeal)
            assert phone.startswith("v2:") and index.startswith("2:")
        assert raw(anonymous) == ("", "")
        assert set(Appeal.objects.with_phone("138 1234 5678")) == {first, second}
        event = SecurityEvent.objects.get(kind=SecurityKind.KEY_ROTATE)
        # Every encrypted column is listed (exchange.peer.key too, with no rows here).
        assert event.details["current_key"] == 2
        assert {k: v for k, v in event.details["rows"].items() if v} == {"appeals.appeal.phone": 2}

        assert "0 行已用密钥 2 重新加密" in run("rotate", "--no-progress")  # resumable: nothing left to do
        assert "密钥 2（当前）：2 行" in run("status")
    with override_settings(MINYI_PII_KEYS={2: NEW_KEY}):  # the old key can now be retired
        assert Appeal.objects.get(pk=first.pk).phone == "13812345678"


def test_rotation_without_the_old_key_stops_with_a_clear_message(people: dict[str, Any]) -> None:
    appeal = intake(by=people["operator"])
    with override_settings(MINYI_PII_KEYS={2: NEW_KEY}), pytest.raises(CommandError, match="未配置该密钥"):
        run("rotate", "--no-progress")
    assert raw(appeal)[0].startswith("v1:")  # untouched, and readable again once key 1 is back
    assert Appeal.objects.get(pk=appeal.pk).phone == "13812345678"
