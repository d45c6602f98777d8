from django.urls import path

from minyi.points import staff, views

app_name = "points"
urlpatterns = [
    # Public: the address in every QR label, and the 15-minute service map.
    path("q/<str:code>", views.scan, name="scan"),
    path("q/<str:code>/done/<str:token>", views.done, name="done"),
    path("fuwu/", views.service_map, name="service_map"),
    # Staff.
    path("points/", staff.point_list, name="list"),
    path("points/labels.pdf", staff.label_sheet, name="labels"),
    path("points/import", staff.import_sheet, name="import"),
    path("points/rewards", staff.rewards, name="rewards"),
    path("points/rewards/<str:number>/decide", staff.decide, name="decide"),
    path("points/<str:code>", staff.point_detail, name="detail"),
    path("points/<str:code>/retire", staff.retire, name="retire"),
]
