"""Two namespaces: ``firm`` — the enterprise user's own pages, admitting the enterprise role
alone; ``publicity`` — the officials' side of windows, 公示 lists and objections."""

from django.urls import include, path

from pingtai.firm import office_views, views

firm_patterns = [
    path("", views.home, name="home"),
]

office_patterns = [
    path("", office_views.index, name="index"),
    path("runs/<int:pk>/open/", office_views.window_open, name="open"),
    path("runs/<int:pk>/list/<str:code>/", office_views.publicity_list, name="list"),
    path("runs/<int:pk>/list/<str:code>.xlsx", office_views.publicity_list_xlsx, name="list_xlsx"),
]

urlpatterns = [
    path("", include((firm_patterns, "firm"))),
    path("office/", include((office_patterns, "publicity"))),
]
