from django.urls import URLPattern, URLResolver, path

from minyi.cockpit import views

app_name = "cockpit"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.cockpit, name="index"),
    path("data", views.chart_data, name="data"),
    path("export/<str:what>", views.export, name="export"),
    path("hot/<int:snapshot_id>/<int:index>/topic", views.hot_to_topic, name="hot_to_topic"),
]
