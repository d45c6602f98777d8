from django.urls import URLPattern, URLResolver, path

from minyi.accountability import views

app_name = "accountability"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.dashboard, name="dashboard"),
    path("notifications", views.notifications, name="notifications"),
    path("rate/<str:token>", views.rate, name="rate"),
    path("orders/<int:order_id>/respond", views.respond, name="respond"),
    path("topics", views.topic_list, name="topics"),
    path("topics/<int:topic_id>", views.topic_detail, name="topic"),
    path("engagements", views.engagement_list, name="engagements"),
]
