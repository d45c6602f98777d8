from django.urls import path

from minyi.desk import views

app_name = "desk"
urlpatterns = [
    path("", views.home, name="home"),
    path("intake", views.intake, name="intake"),
    path("intake/caller", views.caller_history, name="caller"),
    path("intake/suggest", views.suggest, name="suggest"),
    path("dispatch", views.dispatch_queue, name="dispatch"),
    path("dispatch/accept", views.dispatch_accept, name="dispatch_accept"),
    path("inbox", views.inbox, name="inbox"),
    path("inbox/<str:number>/claim", views.claim, name="claim"),
    path("supervise", views.supervise, name="supervise"),
]
