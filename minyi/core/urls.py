from django.urls import path

from minyi.core.views import healthz

urlpatterns = [path("", healthz, name="healthz")]
