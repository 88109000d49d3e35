from django.urls import path

from pingtai.dashboard import views

app_name = "dashboard"

urlpatterns = [
    path("", views.cockpit, name="cockpit"),
    path("map/", views.map_page, name="map"),
    path("map/data.json", views.map_data, name="map_data"),
    path("map/enterprises.json", views.map_enterprises, name="map_enterprises"),
]
