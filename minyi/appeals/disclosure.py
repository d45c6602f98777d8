"""What of an appeal may leave the building: the public view, and masking for callers without personal data.

A public reader (Open311 without a key, the portal's tracking link, a public map)
sees an appeal only when its channel is open data (``Channel.open_data``) and it is
not a 举报; and then only the category, the status, the dates, the community it is
in and the coordinates rounded to about a kilometre. The citizen's own words never
leave: they may hold names, phone and ID numbers, house numbers. The reply does,
when staff marked it public (``reply_public``), and even then through ``mask_pii``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Q

from minyi.appeals.models import Appeal, AppealQuerySet, Kind
from minyi.appeals.validators import mask_phone
from minyi.triage.pii import mask_pii

# 0.01° is about 1.1 km north–south here: enough for a map, not enough to find a door.
PUBLIC_COORDINATE_DECIMALS = 2


def public_appeals() -> AppealQuerySet:
    """Appeals anyone may look up: open-data channels only, never a 举报."""
    return Appeal.objects.filter(Q(channel__open_data=True) & ~Q(kind=Kind.REPORT))


def coarse_place(appeal: Appeal) -> str:
    """The street and community of the appeal's grid cell, e.g. "明湖街道 湖滨社区"; never the address typed in."""
    grid = appeal.grid if appeal.grid_id else None
    if grid is None:
        return ""
    street = grid.street
    return grid.name if street.pk == grid.pk else f"{street.name} {grid.name}"


def coarse_coordinate(value: Decimal | float | None) -> float | None:
    return None if value is None else round(float(value), PUBLIC_COORDINATE_DECIMALS)


def public_reply(appeal: Appeal) -> str:
    """The reply as the public may read it: only when marked public, and with personal data masked."""
    if not appeal.reply_public or not appeal.reply_text:
        return ""
    return mask_pii(appeal.reply_text)


def mask_name(name: str) -> str:
    return name[:1] + "**" if name else ""


def mask_credit_code(code: str) -> str:
    """统一社会信用代码: keep the first two and last two characters."""
    return code[:2] + "*" * (len(code) - 4) + code[-2:] if len(code) > 4 else ("*" * len(code))


def masked_contact(appeal: Appeal) -> dict[str, Any]:
    """The personal fields of an appeal for a caller who may not see personal data."""
    return {
        "submitter_name": mask_name(appeal.submitter_name),
        "credit_code": mask_credit_code(appeal.credit_code),
        "phone": mask_phone(appeal.phone),
        "address": coarse_place(appeal),
        "lat": coarse_coordinate(appeal.lat),
        "lng": coarse_coordinate(appeal.lng),
    }
