"""``{% load proposals_cockpit %}{% proposals_year %}``: the year's proposals figures on the cockpit."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from minyi.proposals.models import Classification
from minyi.proposals.stats import percent, year_figures
from minyi.workflow.calendar import SHANGHAI

register = template.Library()


@register.inclusion_tag("proposals/_cockpit.html")
def proposals_year(year: int | None = None) -> dict[str, Any]:
    figures = year_figures(year or timezone.now().astimezone(SHANGHAI).year)
    classes = [(code, label, figures.classes.get(code, 0), percent(figures.class_share(code))) for code, label in Classification.choices]
    return {
        "f": figures,
        "closed_rate": percent(figures.closed_rate),
        "satisfaction_rate": percent(figures.satisfaction_rate),
        "classes": classes,
    }
