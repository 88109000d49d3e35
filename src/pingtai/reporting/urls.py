from django.urls import path

from pingtai.reporting import views

app_name = "reporting"
urlpatterns = [
    path("", views.index, name="index"),
    path("inbox/", views.inbox, name="inbox"),
    path("periods/open/", views.period_open, name="period_open"),
    path("periods/<str:code>/", views.period_detail, name="period"),
    path("periods/<str:code>/close/", views.period_close, name="period_close"),
    path("requirements/<int:pk>/", views.requirement_detail, name="requirement"),
    path("requirements/<int:pk>/template.xlsx", views.requirement_template, name="template"),
    path("requirements/<int:pk>/upload/", views.requirement_upload, name="upload"),
    path("requirements/<int:pk>/transition/", views.requirement_transition, name="transition"),
    path("attempts/<int:pk>/", views.attempt_detail, name="attempt"),
    path("attempts/<int:pk>/marked.xlsx", views.attempt_marked, name="attempt_marked"),
    path("versions/<int:pk>/file", views.version_file, name="version_file"),
    path("versions/<int:old>/diff/<int:new>/", views.version_diff, name="diff"),
]
