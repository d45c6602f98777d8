from django.urls import URLPattern, path

from minyi.proposals import views

app_name = "proposals"
urlpatterns: list[URLPattern] = [
    path("", views.desk, name="desk"),
    path("new", views.register, name="register"),
    path("<int:pk>", views.detail, name="detail"),
    path("<int:pk>/act/<str:name>", views.act, name="act"),
    path("<int:pk>/letter.docx", views.letter_docx, name="letter"),
]
