from django.urls import path

from pingtai.evaluation import views

app_name = "evaluation"
urlpatterns = [
    path("", views.index, name="index"),
    path("runs/new/", views.run_create, name="run_create"),
    path("runs/<int:pk>/", views.run_detail, name="run"),
    path("runs/<int:pk>/publish/", views.run_publish, name="publish"),
    path("runs/<int:pk>/export.xlsx", views.run_export, name="export"),
    path("runs/<int:pk>/policies/", views.policies, name="policies"),
    path("runs/<int:pk>/low-efficiency/", views.low_efficiency, name="low_efficiency"),
    path("runs/<int:pk>/enterprises/<str:uscc>/", views.portrait, name="portrait"),
    path("runs/<int:pk>/leaders/", views.leaders, name="leaders"),
    path("runs/<int:pk>/leaders.xlsx", views.leaders_export, name="leaders_export"),
    path("runs/<int:pk>/industries/", views.industries, name="industries"),
    path("compare/", views.compare, name="compare"),
]
