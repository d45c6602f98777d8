from django.urls import path

from minyi.audit import views

app_name = "audit"

urlpatterns = [
    path("", views.security_log, name="log"),
    path("verify", views.verify_now, name="verify"),
]
