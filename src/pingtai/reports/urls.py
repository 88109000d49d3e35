from django.urls import path, register_converter

from pingtai.reports import views


class NoticeFormat:
    regex = "docx|pdf|xlsx"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class RunKind(NoticeFormat):
    regex = "mujun|league"


register_converter(NoticeFormat, "any_fmt")
register_converter(RunKind, "run_kind")

app_name = "reports"
urlpatterns = [
    path("", views.index, name="index"),
    path("<run_kind:kind>/<int:pk>/notice.<any_fmt:fmt>", views.download, name="notice"),
    path("<run_kind:kind>/<int:pk>/issue", views.issue, name="issue"),
]
