from django.urls import path

from pingtai.runs import views

app_name = "runs"
urlpatterns = [
    path("flags/<int:pk>/resolve/", views.flag_resolve, name="flag_resolve"),
]
