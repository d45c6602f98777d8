"""三员分立: the system, security and audit admins each hold their own powers and no superuser holds all."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from minyi.accounts import services
from minyi.appeals.queries import visible_to
from minyi.audit.models import SecurityEvent, SecurityKind
from minyi.conftest import intake
from minyi.core.roles import roles_of
from minyi.workflow.policy import Role


def _change_form(user: Any, groups: list[Group]) -> dict[str, Any]:
    return {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": "",
        "email": "",
        "is_active": "on",
        "groups": [g.pk for g in groups],
    }


def test_system_admin_cannot_change_groups(client: Client, admins: dict[str, Any]) -> None:
    client.force_login(admins["admin"])
    target = admins["operator"]
    assert client.get(f"/admin/auth/user/{target.pk}/change/").status_code == 403
    response = client.post(f"/admin/auth/user/{target.pk}/change/", _change_form(target, [Group.objects.get(name="admin")]))
    assert response.status_code == 403
    assert roles_of(get_user_model().objects.get(pk=target.pk)) == {Role.OPERATOR}
    assert client.get("/admin/auth/user/add/").status_code == 403


def test_security_admin_changes_groups_and_it_is_logged(client: Client, admins: dict[str, Any]) -> None:
    client.force_login(admins["secadmin"])
    target = admins["operator"]
    before = SecurityEvent.objects.filter(kind=SecurityKind.ROLE_CHANGE).count()
    dispatcher = Group.objects.get(name="dispatcher")
    response = client.post(f"/admin/auth/user/{target.pk}/change/", _change_form(target, [dispatcher]))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert roles_of(get_user_model().objects.get(pk=target.pk)) == {Role.DISPATCHER}
    rows = SecurityEvent.objects.filter(kind=SecurityKind.ROLE_CHANGE).order_by("id")[before:]
    assert {(r.details["action"], tuple(r.details["roles"])) for r in rows} >= {("add", ("dispatcher",))}
    assert all(r.actor == admins["secadmin"] and r.target == "op" for r in rows)


def test_security_admin_cannot_combine_the_three_admin_roles(client: Client, admins: dict[str, Any]) -> None:
    client.force_login(admins["secadmin"])
    target = admins["admin"]
    both = [Group.objects.get(name="admin"), Group.objects.get(name="auditor")]
    page = client.post(f"/admin/auth/user/{target.pk}/change/", _change_form(target, both)).content.decode()
    assert "须由不同人员担任" in page
    with pytest.raises(ValidationError):
        services.check_role_separation({Role.SECADMIN, Role.OPERATOR})
    with pytest.raises(PermissionDenied):
        services.set_roles(admins["secadmin"], {Role.AUDITOR}, by=admins["secadmin"])  # never on oneself


def test_set_roles_is_the_security_admins_action(admins: dict[str, Any]) -> None:
    with pytest.raises(PermissionDenied):
        services.set_roles(admins["operator"], {Role.LEADER}, by=admins["admin"])
    services.set_roles(admins["nobody"], {Role.AUDITOR}, by=admins["secadmin"])
    user = get_user_model().objects.get(pk=admins["nobody"].pk)
    assert roles_of(user) == {Role.AUDITOR} and user.is_staff and not user.is_superuser
    assert SecurityEvent.objects.filter(kind=SecurityKind.ROLE_CHANGE, target="nob", actor=None).exists()


def test_system_admin_manages_reference_data_but_not_accounts_or_the_log(client: Client, admins: dict[str, Any]) -> None:
    client.force_login(admins["admin"])
    assert client.get("/admin/directory/category/").status_code == 200
    assert client.get("/admin/workflow/calendaroverride/add/").status_code == 200
    for url in ("/admin/auth/user/", "/admin/auth/group/", "/admin/api/apikey/", "/admin/axes/accessattempt/"):
        assert client.get(url).status_code == 403, url
    # The security log's pages are minyi.audit's; the permission they check is this one.
    assert not get_user_model().objects.get(pk=admins["admin"].pk).has_perm("audit.view_securityevent")


def test_security_admin_manages_accounts_but_no_appeal_and_not_the_log(client: Client, admins: dict[str, Any]) -> None:
    appeal = intake(by=admins["operator"])
    client.force_login(admins["secadmin"])
    for url in ("/admin/auth/user/", "/admin/api/apikey/", "/admin/axes/accessattempt/", "/accounts/locks/"):
        assert client.get(url).status_code == 200, url
    for url in ("/admin/directory/category/", "/admin/appeals/appeal/"):
        assert client.get(url).status_code == 403, url
    assert not get_user_model().objects.get(pk=admins["secadmin"].pk).has_perm("audit.view_securityevent")
    assert client.get(f"/appeals/{appeal.pk}/").status_code == 403
    assert client.get("/desk/dispatch").status_code == 403


def test_auditor_sees_nothing_of_appeals(client: Client, admins: dict[str, Any]) -> None:
    appeal = intake(by=admins["operator"])
    auditor = admins["auditor"]
    assert not visible_to(auditor).exists()
    client.force_login(auditor)
    for url in ("/appeals/", f"/appeals/{appeal.pk}/", "/desk/", "/cockpit/", "/accountability/", "/reports/", "/assistant/"):
        response = client.get(url)
        assert response.status_code == 403, url
        assert appeal.title not in response.content.decode()
    assert get_user_model().objects.get(pk=auditor.pk).has_perm("audit.view_securityevent")
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/auth/user/").status_code == 403


def test_superuser_flag_grants_no_role_and_cannot_log_in_in_production(client: Client, district: None, settings: Any) -> None:
    root = get_user_model().objects.create_superuser("root", password="Root-Only#2026")
    assert roles_of(root) == frozenset()
    settings.DEBUG = False
    page = client.post("/login", {"username": "root", "password": "Root-Only#2026"}).content.decode()
    assert "超级用户不能在正式环境登录" in page
    assert "_auth_user_id" not in client.session


def test_demo_accounts_include_the_three_admins_and_no_superuser(district: None) -> None:
    from minyi.appeals.demo import ensure_demo_accounts

    ensure_demo_accounts()
    users = get_user_model().objects
    assert not users.filter(is_superuser=True).exists()
    assert roles_of(users.get(username="secadmin")) == {Role.SECADMIN}
    assert roles_of(users.get(username="auditor")) == {Role.AUDITOR}
    assert users.get(username="admin").has_perm("directory.change_category")
    assert not users.get(username="admin").has_perm("auth.change_user")


@pytest.mark.parametrize(("role", "where"), [("auditor", "/audit/"), ("secadmin", "/accounts/locks/"), ("operator", "/desk/")])
def test_each_role_lands_on_its_own_page(client: Any, people: dict[str, Any], role: str, where: str) -> None:
    from minyi.conftest import make_user
    from minyi.workflow.policy import Role

    user = people.get(role) or make_user(f"land-{role}", Role(role), "sjj")
    client.force_login(user)
    response = client.get("/accounts/")
    assert response.status_code == 302 and response["Location"] == where
