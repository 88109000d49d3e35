from django.urls import path

from pingtai.firm import views

app_name = "firm"
urlpatterns = [
    path("", views.home, name="home"),
]
