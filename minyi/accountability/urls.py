from django.urls import URLPattern, URLResolver, path

from minyi.accountability import views

app_name = "accountability"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.dashboard, name="dashboard"),
    path("notifications", views.notifications, name="notifications"),
    path("rate/<str:token>", views.rate, name="rate"),
    path("orders/<int:order_id>/respond", views.respond, name="respond"),
    path("topics", views.topic_list, name="topics"),
    path("topics/new", views.topic_new, name="topic_new"),
    path("topics/<int:topic_id>", views.topic_detail, name="topic"),
    path("topics/<int:topic_id>/edit", views.topic_edit, name="topic_edit"),
    path("engagements", views.engagement_list, name="engagements"),
    path("engagements/new", views.engagement_new, name="engagement_new"),
    path("engagements/<int:event_id>", views.engagement_detail, name="engagement"),
]
