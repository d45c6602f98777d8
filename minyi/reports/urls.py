from django.urls import URLPattern, URLResolver, path

from minyi.reports import views

app_name = "reports"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.bulletin_list, name="list"),
    path("<int:pk>", views.bulletin_detail, name="detail"),
    path("<int:pk>/publish", views.bulletin_publish, name="publish"),
    path("<int:pk>.<str:fmt>", views.bulletin_download, name="download"),
]
