from django.urls import path

from pingtai.planning import views

app_name = "planning"
urlpatterns = [
    path("", views.index, name="index"),
    path("runs/new/", views.run_create, name="run_create"),
    path("runs/<int:pk>/", views.run_detail, name="run"),
    path("runs/<int:pk>/approve/", views.run_approve, name="run_approve"),
    path("runs/<int:pk>/items/<int:item>/adjust/", views.item_adjust, name="item_adjust"),
    path("runs/<int:pk>/export.xlsx", views.run_export, name="run_export"),
    path("simulate/", views.simulate, name="simulate"),
    path("simulate/export.xlsx", views.simulate_export, name="simulate_export"),
    path("chains/", views.chains, name="chains"),
    path("chains/targets.xlsx", views.chain_targets_export, name="chain_targets_export"),
    path("chains/<str:code>/", views.chain_platform, name="chain_platform"),
    path("chains/<str:code>/links/<str:link>/", views.chain_link, name="chain_link"),
    path(
        "chains/<str:code>/export.xlsx", views.chain_platform_export, name="chain_platform_export"
    ),
    path("agreements/", views.agreements, name="agreements"),
    path("agreements/new/", views.agreement_create, name="agreement_create"),
    path("agreements/<str:code>/", views.agreement_detail, name="agreement"),
    path("agreements/<str:code>/settle/", views.settlement_create, name="settle"),
    path(
        "agreements/<str:code>/settlements/<int:year>.xlsx",
        views.settlement_export,
        name="settlement_export",
    ),
]
