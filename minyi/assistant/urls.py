from django.urls import URLPattern, URLResolver, path

from minyi.assistant import views

app_name = "assistant"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.index, name="index"),
    path("suggest", views.suggest, name="suggest"),
    path("similar/<str:number>", views.similar, name="similar"),
    path("card/<slug:slug>", views.card, name="card"),
    path("faq/<slug:slug>", views.faq, name="faq"),
    path("precheck/<slug:slug>", views.precheck, name="precheck"),
    path("kb/export.yaml", views.kb_export, name="kb_export"),
    path("kb/card/<slug:slug>.md", views.kb_card_markdown, name="kb_card_markdown"),
    path("kb/import", views.kb_import, name="kb_import"),
]
