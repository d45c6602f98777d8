from django.http import HttpRequest, JsonResponse
from django.urls import URLPattern, URLResolver, path, re_path

from minyi.api import batch, open311  # noqa: F401 - importing batch registers POST /appeals:batch on ``api``
from minyi.api.errors import body
from minyi.api.v1 import api


def _unknown(request: HttpRequest, rest: str = "") -> JsonResponse:
    """Unknown paths under /api/v1/ answer in the API's error shape, not with the HTML 404 page."""
    return JsonResponse(body("not_found", "没有这个接口"), status=404, json_dumps_params={"ensure_ascii": False})


# No app_name: django-ninja reverses its own "api-v1" namespace from the root.

_FMT = r"\.(?P<fmt>json|xml)$"

urlpatterns: list[URLPattern | URLResolver] = [
    path("api/v1/", api.urls),
    re_path(r"^api/v1/(?P<rest>.*)$", _unknown),
    re_path(r"^open311/v2/discovery" + _FMT, open311.discovery, name="open311-discovery"),
    re_path(r"^open311/v2/services" + _FMT, open311.service_list, name="open311-services"),
    re_path(r"^open311/v2/services/(?P<code>[-\w]+)" + _FMT, open311.service_definition, name="open311-service"),
    re_path(r"^open311/v2/requests" + _FMT, open311.requests_view, name="open311-requests"),
    re_path(r"^open311/v2/requests/(?P<number>[-\w]+)" + _FMT, open311.request_detail, name="open311-request"),
    re_path(r"^open311/v2/servicerequestupdates" + _FMT, open311.updates_view, name="open311-updates"),
]
