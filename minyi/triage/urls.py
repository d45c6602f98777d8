from django.urls import URLPattern, URLResolver, path

from minyi.triage import views

app_name = "triage"
urlpatterns: list[URLPattern | URLResolver] = [
    path("quality", views.quality_page, name="quality"),
]
