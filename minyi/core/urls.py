from django.urls import path

from minyi.core.observability import healthz

urlpatterns = [path("", healthz, name="healthz")]
