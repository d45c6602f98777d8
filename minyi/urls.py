from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from minyi.accounts.views import LoginView
from minyi.core import views as core_views

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="appeals:list", permanent=False)),
    path("login", LoginView.as_view(), name="login"),
    path("logout", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("minyi.accounts.urls")),
    path("admin/", admin.site.urls),
    path("appeals/", include("minyi.appeals.urls")),
    path("healthz", include("minyi.core.urls")),
    path("readyz", core_views.readyz, name="readyz"),
    path("metrics", core_views.metrics, name="metrics"),
    path("portal/", include("minyi.portal.urls")),
    path("desk/", include("minyi.desk.urls")),
    path("accountability/", include("minyi.accountability.urls")),
    path("cockpit/", include("minyi.cockpit.urls")),
    path("directory/", include("minyi.directory.urls")),  # public district boundaries (no personal data)
    path("triage/", include("minyi.triage.urls")),
    path("reports/", include("minyi.reports.urls")),
    path("proposals/", include("minyi.proposals.urls")),
    path("assistant/", include("minyi.assistant.urls")),
    path("replyqc/", include("minyi.replyqc.urls")),
    path("audit/", include("minyi.audit.urls")),
    path("exchange/", include("minyi.exchange.urls")),
    path("", include("minyi.points.urls")),  # /q/<code> (QR labels), /fuwu/ (15-minute service map), /points/…
    path("", include("minyi.api.urls")),  # /api/v1/… and /open311/v2/…
]
