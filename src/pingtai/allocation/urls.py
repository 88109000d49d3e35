from django.urls import path

from pingtai.allocation import views

app_name = "allocation"
urlpatterns = [
    path("", views.index, name="index"),
    path("pools/new/", views.pool_create, name="pool_create"),
    path("pools/<int:pk>/", views.pool_detail, name="pool"),
    path("pools/<int:pk>/demand/", views.demand_submit, name="demand"),
    path("pools/<int:pk>/runs/new/", views.run_create, name="run_create"),
    path("pools/<int:pk>/compare/", views.compare, name="compare"),
    path("runs/<int:pk>/", views.run_detail, name="run"),
    path("runs/<int:pk>/publish/", views.run_publish, name="publish"),
    path("runs/<int:pk>/export.xlsx", views.run_export, name="export"),
    path("proposals/", views.proposals, name="proposals"),
    path("proposals/new/", views.proposal_create, name="proposal_create"),
    path("proposals/<int:pk>/", views.proposal_detail, name="proposal"),
    path("proposals/<int:pk>/check/", views.proposal_check, name="check"),
    path("proposals/<int:pk>/commitment/", views.commitment_create, name="commitment"),
    path(
        "proposals/<int:pk>/post-evaluation/", views.post_evaluation_create, name="post_evaluation"
    ),
    path("post-evaluations/<int:pk>/", views.evaluation_detail, name="evaluation"),
    path("post-evaluations/shortfalls.xlsx", views.shortfalls_export, name="shortfalls"),
]
