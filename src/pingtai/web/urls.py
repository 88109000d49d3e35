from django.urls import path

from pingtai.web import views

urlpatterns = [
    path("", views.home, name="home"),
    path("help/", views.help_page, name="help"),
    path("platforms/", views.platforms, name="platforms"),
    path("registry/as-of/", views.as_of, name="as_of"),
    path("platforms/<str:code>/", views.platform_detail, name="platform_detail"),
    path(
        "platforms/<str:code>/enterprises/", views.platform_enterprises, name="platform_enterprises"
    ),
    path("enterprises/search/", views.enterprise_search, name="enterprise_search"),
    path("enterprises/<str:uscc>/", views.enterprise_detail, name="enterprise_detail"),
]
