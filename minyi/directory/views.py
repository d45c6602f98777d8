"""Public, cacheable district geometry: the 街道/社区 boundaries any page may draw (no personal data)."""

from __future__ import annotations

import hashlib
import json

from django.db.models import Count, Max
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.views.decorators.http import require_GET

from minyi.directory import services
from minyi.directory.models import GridShape


@require_GET
def district_geojson(request: HttpRequest) -> HttpResponse:
    """``/directory/district.geojson``: every stored boundary with its names and codes, for maps offline."""
    stamp = GridShape.objects.aggregate(n=Count("id"), at=Max("updated_at"))
    etag = '"' + hashlib.sha256(f"{stamp['n']}:{stamp['at']}".encode()).hexdigest()[:16] + '"'
    if request.headers.get("If-None-Match") == etag:
        response: HttpResponse = HttpResponseNotModified()
    else:
        body = json.dumps(services.district_geojson(), ensure_ascii=False, separators=(",", ":"))
        response = HttpResponse(body, content_type="application/geo+json; charset=utf-8")
    response["ETag"] = etag
    response["Cache-Control"] = "public, max-age=3600"
    response["Access-Control-Allow-Origin"] = "*"
    return response
