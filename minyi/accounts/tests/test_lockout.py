"""Finding 3: no login lockout and failed logins not recorded."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from minyi.accounts import services
from minyi.audit.models import SecurityEvent, SecurityKind
from minyi.conftest import password_for


def _login(client: Client, username: str, password: str, ip: str = "10.1.2.3") -> Any:
    return client.post("/login", {"username": username, "password": password}, REMOTE_ADDR=ip)


def _logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_thirty_wrong_passwords_then_the_right_one_is_refused(client: Client, people: dict[str, Any]) -> None:
    for _ in range(30):
        _login(client, "hd", "Wrong#Password1")
    response = _login(client, "hd", password_for("hd"))
    assert response.status_code == 429
    assert not _logged_in(client)
    assert "已被锁定 30 分钟" in response.content.decode()
    failed = SecurityEvent.objects.filter(kind=SecurityKind.LOGIN_FAILED, actor_label="hd")
    assert failed.count() == 31 and failed.filter(ip="10.1.2.3").count() == 31
    assert failed.filter(details__locked=True).count() == 31 - 5
    lockout = SecurityEvent.objects.get(kind=SecurityKind.LOCKOUT)  # once, when it locked
    assert lockout.details == {"username": "hd", "ip": "10.1.2.3", "failures": 5}


def test_lockout_counts_per_address_across_usernames(client: Client, people: dict[str, Any]) -> None:
    for username in ("op", "disp", "hd2", "sup", "lead"):
        _login(client, username, "Wrong#Password1", ip="10.9.9.9")
    # A sixth account from the same address is refused even with its right password …
    assert _login(client, "hds", password_for("hds"), ip="10.9.9.9").status_code == 429
    # … while the same account from another address still logs in (it had no failures of its own).
    assert _login(Client(), "hds", password_for("hds"), ip="10.8.8.8").status_code == 302


def test_login_and_logout_are_in_the_security_log(client: Client, people: dict[str, Any]) -> None:
    assert _login(client, "hd", password_for("hd")).status_code == 302
    assert _logged_in(client)
    client.post("/logout", REMOTE_ADDR="10.1.2.3")
    kinds = list(SecurityEvent.objects.filter(actor=people["handler"]).order_by("id").values_list("kind", "ip"))
    assert kinds == [(SecurityKind.LOGIN, "10.1.2.3"), (SecurityKind.LOGOUT, "10.1.2.3")]


def _lock(client: Client, username: str = "hd") -> None:
    for _ in range(5):
        _login(client, username, "Wrong#Password1")
    assert [lock.value for lock in services.locks() if lock.kind == "username"] == [username]


def test_security_admin_unlocks_on_the_page_and_it_is_logged(client: Client, admins: dict[str, Any]) -> None:
    _lock(client)
    sec = Client()
    sec.force_login(admins["secadmin"])
    page = sec.get("/accounts/locks/").content.decode()
    assert "解除锁定" in page and "hd" in page
    assert sec.post("/accounts/locks/unlock", {"username": "hd"}).status_code == 302
    assert services.locks() == []
    row = SecurityEvent.objects.get(kind=SecurityKind.UNLOCK)
    assert row.actor == admins["secadmin"] and row.target == "hd"
    assert _login(client, "hd", password_for("hd")).status_code == 302


def test_system_admin_may_not_unlock(client: Client, admins: dict[str, Any]) -> None:
    _lock(client)
    adm = Client()
    adm.force_login(admins["admin"])
    assert adm.get("/accounts/locks/").status_code == 403
    assert adm.post("/accounts/locks/unlock", {"username": "hd"}).status_code == 403
    assert [lock.value for lock in services.locks()] != []
    assert not SecurityEvent.objects.filter(kind=SecurityKind.UNLOCK).exists()


def test_unlock_from_the_command_line(client: Client, admins: dict[str, Any]) -> None:
    _lock(client)
    with pytest.raises(CommandError, match="只有安全管理员"):
        call_command("accounts", "unlock", "hd", "--by", "adm")
    call_command("accounts", "unlock", "hd", "--by", "sec")
    assert services.locks() == []
    row = SecurityEvent.objects.get(kind=SecurityKind.UNLOCK)
    assert row.actor == admins["secadmin"] and row.details["via"] == "shell"
