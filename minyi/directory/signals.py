"""Role groups exist in every database, created after migrate."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group


def ensure_role_groups(**kwargs: Any) -> None:
    from minyi.workflow.policy import Role

    for role in Role:
        Group.objects.get_or_create(name=role.value)
