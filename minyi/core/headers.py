"""``Permissions-Policy``: Django's SecurityMiddleware sends the other security headers, not this one."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase


def permissions_policy(features: dict[str, str]) -> str:
    return ", ".join(f"{feature}={allow}" for feature, allow in features.items())


class PermissionsPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        features = getattr(settings, "MINYI_PERMISSIONS_POLICY", {})
        if features:
            response.headers.setdefault("Permissions-Policy", permissions_policy(features))
        return response
