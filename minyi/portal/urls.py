from django.urls import path

from minyi.portal import views

app_name = "portal"
urlpatterns = [
    path("", views.submit, name="submit"),
    path("done/<str:token>", views.done, name="done"),
    path("track", views.track, name="track"),
    path("files/<str:token>", views.reply_file, name="file"),
    path("p/<str:token>", views.progress, name="progress"),
]
