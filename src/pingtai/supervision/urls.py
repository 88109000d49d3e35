from django.urls import path

from pingtai.supervision import views

app_name = "supervision"
urlpatterns = [
    path("", views.index, name="index"),
    path("alerts/", views.alert_list, name="alerts"),
    path("alerts.xlsx", views.alert_export, name="alerts_export"),
    path("completion/", views.completion, name="completion"),
    path("platforms/<str:code>/", views.platform_map, name="platform"),
    path("platforms/<str:code>/export.xlsx", views.platform_export, name="platform_export"),
    path("platforms/<str:code>/tasks/new/", views.task_create, name="task_create"),
    path("tasks/<int:pk>/", views.task_detail, name="task"),
    path("tasks/<int:pk>/confirm/", views.task_confirm, name="task_confirm"),
    path("tasks/<int:pk>/progress/", views.task_progress, name="task_progress"),
    path("tasks/<int:pk>/milestones/", views.milestone_add, name="milestone_add"),
    path("tasks/<int:pk>/milestones/<int:mid>/done/", views.milestone_done, name="milestone_done"),
]
