"""Template hooks for other apps' pages: the cockpit's point ranking and the tracking page's reward points."""

from __future__ import annotations

from typing import Any

from django import template

from minyi.points import queries

register = template.Library()


@register.inclusion_tag("points/_ranking.html")
def points_ranking(limit: int = 10) -> dict[str, Any]:
    """``{% load points %}{% points_ranking %}``: points by complaints filed from their code this month."""
    return {"ranking": queries.ranking(limit=limit)}


@register.inclusion_tag("points/_reward.html")
def reward_points(appeal: Any) -> dict[str, Any]:
    """``{% load points %}{% reward_points appeal %}`` on the tracking page (only shown after number + phone)."""
    return {"reward": queries.reporter_points(appeal)}


@register.inclusion_tag("points/_appeal_point.html")
def appeal_point(appeal: Any) -> dict[str, Any]:
    """``{% load points %}{% appeal_point appeal %}`` on a staff page: the point an appeal was filed from, if any."""
    from minyi.points.models import PointAppeal

    link = PointAppeal.objects.select_related("point__owner__market", "point__grid__parent").filter(appeal=appeal).first()
    return {"point": link.point if link else None}
