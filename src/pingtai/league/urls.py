from django.urls import path

from pingtai.league import views

app_name = "league"
urlpatterns = [
    path("", views.index, name="index"),
    path("runs/new/", views.run_create, name="run_create"),
    path("runs/<int:pk>/", views.run_detail, name="run"),
    path("runs/<int:pk>/publish/", views.run_publish, name="publish"),
    path("runs/<int:pk>/ties/", views.tie_decide, name="tie_decide"),
    path("runs/<int:pk>/export.xlsx", views.run_export, name="export"),
    path("runs/<int:pk>/lists.xlsx", views.lists_export, name="lists_export"),
    path("runs/<int:pk>/platforms/<str:code>/", views.scorecard, name="scorecard"),
    path(
        "runs/<int:pk>/platforms/<str:code>/export.xlsx",
        views.scorecard_export,
        name="scorecard_export",
    ),
    path("runs/<int:pk>/proposals/", views.proposals, name="proposals"),
    path("runs/<int:pk>/proposals/export.xlsx", views.proposals_export, name="proposals_export"),
    path("proposals/<int:pk>/decide/", views.proposal_decide, name="decide"),
    path("runs/<int:pk>/pay-pools/new/", views.pay_pool_create, name="pay_pool_create"),
    path("pay-pools/<int:pk>/", views.pay_pool, name="pay_pool"),
    path("pay-pools/<int:pk>/export.xlsx", views.pay_pool_export, name="pay_pool_export"),
    path("follow-up/", views.follow_up, name="follow_up"),
    path("runs/<int:pk>/meetings/<str:code>/new/", views.meeting_new, name="meeting_new"),
    path("meetings/<int:pk>/minutes/", views.meeting_minutes, name="meeting_minutes"),
    path("rectifications/<int:pk>/", views.rectification, name="rectification"),
    path("runs/<int:pk>/objections/new/", views.objection_new, name="objection_new"),
    path("objections/<int:pk>/decide/", views.objection_decide, name="objection_decide"),
    path("targets/", views.targets, name="targets"),
    path("targets/export.xlsx", views.targets_export, name="targets_export"),
]
