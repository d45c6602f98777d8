from django.urls import path

from minyi.appeals import publicity_views, views

app_name = "appeals"
urlpatterns = [
    path("", views.appeal_list, name="list"),
    path("new", views.appeal_new, name="new"),
    path("<str:number>", views.appeal_detail, name="detail"),
    path("<str:number>/act/<str:action>", views.appeal_act, name="act"),
    path("<str:number>/reveal", views.appeal_reveal, name="reveal"),
    path("<str:number>/print", views.appeal_print, name="print"),
    path("<str:number>/print.pdf", views.appeal_print_pdf, name="print_pdf"),
    path("<str:number>/priority", views.appeal_raise_priority, name="raise_priority"),
    path("<str:number>/reply-public", publicity_views.reply_public, name="reply_public"),
    path("<str:number>/files/<int:pk>", views.attachment, name="attachment"),
    path("<str:number>/files/<int:pk>/thumb", views.attachment_thumb, name="attachment_thumb"),
]
