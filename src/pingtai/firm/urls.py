"""Two namespaces: ``firm`` — the enterprise user's own pages, admitting the enterprise role
alone; ``publicity`` — the officials' side of windows, 公示 lists and objections."""

from django.urls import include, path

from pingtai.firm import office_views, views

firm_patterns = [
    path("", views.home, name="home"),
    path("runs/<int:pk>/", views.run_sheet, name="sheet"),
    path("runs/<int:pk>/confirm/", views.confirm, name="confirm"),
    path("runs/<int:pk>/object/", views.object_, name="object"),
    path("objections/<str:number>/", views.objection, name="objection"),
    path("objections/<str:number>/evidence/<int:pk>/", views.evidence, name="evidence"),
    path("runs/<int:pk>/letter.<str:fmt>", views.letter, name="letter"),
    path("reminders/", views.firm_reminders, name="reminders"),
]

office_patterns = [
    path("", office_views.index, name="index"),
    path("runs/<int:pk>/open/", office_views.window_open, name="open"),
    path("runs/<int:pk>/list/<str:code>/", office_views.publicity_list, name="list"),
    path("runs/<int:pk>/list/<str:code>.xlsx", office_views.publicity_list_xlsx, name="list_xlsx"),
    path("runs/<int:pk>/objections/", office_views.objection_list, name="objections"),
    path("runs/<int:pk>/confirmations/", office_views.confirmations, name="confirmations"),
    path("runs/<int:pk>/file/", office_views.objection_on_behalf, name="file"),
    path("objections/<str:number>/", office_views.objection_detail, name="objection"),
    path("objections/<str:number>/act/", office_views.objection_act, name="objection_act"),
    path(
        "objections/<str:number>/evidence/<int:pk>/",
        office_views.objection_evidence,
        name="evidence",
    ),
    path("runs/<int:pk>/letters/<str:code>/", office_views.letters_issue, name="letters"),
    path("runs/<int:pk>/letter/<str:uscc>.<str:fmt>", office_views.letter, name="letter"),
    path("reminders/", office_views.office_reminders, name="reminders"),
    path("calendar/", office_views.working_calendar, name="calendar"),
]

urlpatterns = [
    path("", include((firm_patterns, "firm"))),
    path("office/", include((office_patterns, "publicity"))),
]
