from django.urls import URLPattern, URLResolver, path

from minyi.directory import views

app_name = "directory"
urlpatterns: list[URLPattern | URLResolver] = [
    path("district.geojson", views.district_geojson, name="district_geojson"),
]
