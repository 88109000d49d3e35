from django.urls import path

from pingtai.entitlements import views

app_name = "entitlements"
urlpatterns = [
    path("", views.index, name="index"),
    path("runs/<int:pk>/generate/", views.generate, name="generate"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/list.xlsx", views.download, name="download"),
    path("<int:pk>/advance/", views.advance, name="advance"),
]
