from django.urls import path

from minyi.accounts import views

app_name = "accounts"

urlpatterns = [
    path("", views.landing, name="landing"),
    path("password/", views.password_change, name="password_change"),
    path("otp/enroll/", views.otp_enroll, name="otp_enroll"),
    path("otp/verify/", views.otp_verify, name="otp_verify"),
    path("locks/", views.locks, name="locks"),
    path("locks/unlock", views.unlock, name="unlock"),
]
