"""Directory actions: staff accounts with a role and a department."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.db import transaction

from minyi.accounts.models import PasswordProfile
from minyi.accounts.permissions import STAFF_ROLES, group_for
from minyi.directory.models import Department, StaffProfile
from minyi.workflow.policy import Role


@transaction.atomic
def create_staff(
    username: str,
    role: Role | None,
    department_code: str | None,
    *,
    password: str | None = None,
    full_name: str = "",
    must_change_password: bool = True,
) -> Any:
    """Create a login that works for a department in one role. Unknown department codes fail loudly.

    The password must pass the password policy (``ValidationError`` otherwise) and, being chosen
    by someone else, is changed at first login unless ``must_change_password`` is False. None
    leaves the account without a usable password (API service users).
    """
    department = Department.objects.get(code=department_code) if department_code else None
    user = get_user_model()(username=username, first_name=full_name or username)
    if password is not None:
        validate_password(password, user)  # before anything is written: a weak password creates nothing
    user = get_user_model().objects.create_user(username=username, password=None, first_name=full_name or username)
    if password is not None:
        user.set_password(password)
        user.save()  # through save(), so the password history and its change time are recorded
    if role is not None:
        user.groups.add(group_for(role))
        if role in STAFF_ROLES:
            user.is_staff = True  # the system, security and audit admins work in /admin/, with their group's permissions
            user.save(update_fields=["is_staff"])
    StaffProfile.objects.create(user=user, department=department)
    if password is not None:
        PasswordProfile.objects.update_or_create(user=user, defaults={"must_change": must_change_password})
    return user
