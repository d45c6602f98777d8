from django.urls import URLPattern, URLResolver, path

from minyi.replyqc import views

app_name = "replyqc"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.board, name="board"),
    path("check/<str:number>", views.check, name="check"),
]
