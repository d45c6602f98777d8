from django.urls import URLPattern, URLResolver

app_name = "accountability"
urlpatterns: list[URLPattern | URLResolver] = []
