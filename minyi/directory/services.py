"""Directory actions: staff accounts with a role and a department."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from minyi.directory.models import Department, StaffProfile
from minyi.workflow.policy import Role


@transaction.atomic
def create_staff(username: str, role: Role | None, department_code: str | None, *, password: str | None = None, full_name: str = "") -> Any:
    """Create a login that works for a department in one role. Unknown department codes fail loudly."""
    department = Department.objects.get(code=department_code) if department_code else None
    user = get_user_model().objects.create_user(username=username, password=password, first_name=full_name or username)
    if role is not None:
        user.groups.add(Group.objects.get_or_create(name=role.value)[0])
    StaffProfile.objects.create(user=user, department=department)
    return user
