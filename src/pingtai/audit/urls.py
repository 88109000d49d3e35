from django.urls import path

from pingtai.audit import views

app_name = "audit"
urlpatterns = [path("export/", views.export, name="export")]
