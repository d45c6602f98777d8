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


@transaction.atomic
def load_geojson(data: Any, *, key: str | None = None, by: Any = None, source: str = "") -> int:
    """Store the boundaries of a district's 街道/社区 from a GeoJSON FeatureCollection; returns how many.

    Every feature must match a grid cell (by ``key``, or by its "code" then "name" property) and
    carry a closed Polygon/MultiPolygon in longitude/latitude. Any problem raises
    :class:`minyi.directory.geometry.GeoJSONError` listing all of them, and nothing is written.
    Cells the file does not mention keep their boundary. One security-log row records the load.
    """
    from minyi.audit.models import SecurityKind
    from minyi.audit.services import record_security_event
    from minyi.directory import geometry
    from minyi.directory.models import GridCell, GridShape

    checked = geometry.check(data, list(GridCell.objects.values("id", "code", "name")), key=key)
    for cell_id, shape in checked.shapes.items():
        GridShape.objects.update_or_create(cell_id=cell_id, defaults={"geometry": shape, "source": GridShape.Source.LOADED})
    record_security_event(
        SecurityKind.ADMIN_CHANGE, user=by, username="" if by else "minyi directory load-geojson", target="网格边界",
        details={"cells": len(checked.shapes), "file": source[:200]},
    )  # fmt: skip
    return len(checked.shapes)


def district_geojson() -> dict[str, Any]:
    """Every stored boundary as one FeatureCollection: names and codes only, no figures, no personal data.

    Each feature's properties: ``id``, ``code``, ``name``, ``level`` (street/community), ``street``
    (the street's name) and ``street_id``, and ``cp`` (a label point) for ECharts.
    """
    from minyi.directory import geometry
    from minyi.directory.models import Department, GridShape

    district = Department.objects.filter(parent__isnull=True).order_by("id").values_list("name", flat=True).first() or ""
    features = []
    for shape in GridShape.objects.select_related("cell", "cell__parent").order_by("cell__level", "cell__code"):
        cell = shape.cell
        street = cell.parent if cell.parent_id else cell
        features.append(
            {
                "type": "Feature",
                "id": cell.code,
                "properties": {
                    "id": cell.pk, "code": cell.code, "name": cell.name, "level": cell.level,
                    "street": street.name if street else "", "street_id": street.pk if street else None,
                    "cp": _label_point(shape.geometry, geometry),
                },
                "geometry": shape.geometry,
            }
        )  # fmt: skip
    return {"type": "FeatureCollection", "name": district, "features": features}


def _label_point(geom: dict[str, Any], geometry: Any) -> list[float]:
    polygons = [geom["coordinates"]] if geom.get("type") == "Polygon" else geom.get("coordinates", [])
    rings = [[(float(x), float(y)) for x, y, *_ in poly[0]] for poly in polygons if poly]
    if not rings:
        return [0.0, 0.0]
    biggest = max(rings, key=lambda r: abs(geometry.area(r)))
    x, y = geometry.centroid(biggest[:-1] if biggest[0] == biggest[-1] else biggest)
    return [round(x, 5), round(y, 5)]


@transaction.atomic
def ensure_demo_shapes() -> int:
    """Generated boundaries for the default 明湖区 streets and communities that have none yet; returns how many."""
    from minyi.directory import geometry
    from minyi.directory.defaults import STREETS
    from minyi.directory.models import GridCell, GridShape

    shapes = geometry.demo_tessellation([(code, [c for c, _, _ in communities]) for code, _, _, communities in STREETS])
    cells = dict(GridCell.objects.filter(code__in=shapes, shape__isnull=True).values_list("code", "id"))
    GridShape.objects.bulk_create(
        [GridShape(cell_id=cell_id, geometry=shapes[code], source=GridShape.Source.DEMO) for code, cell_id in cells.items()]
    )
    return len(cells)
