from django.urls import path

from minyi.exchange import views

app_name = "exchange"

urlpatterns = [
    path("v1/events", views.receive, name="events"),
    path("v1/feed", views.feed, name="feed"),
    path("v1/ack", views.ack, name="ack"),
    path("v1/states", views.states, name="states"),
    path("reconciliation/", views.reconciliation, name="reconciliation"),
    path("reconciliation/<int:pk>/resolve", views.resolve, name="resolve"),
]
