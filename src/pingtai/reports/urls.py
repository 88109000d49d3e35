from django.urls import path, register_converter

from pingtai.reports import views


class NoticeFormat:
    regex = "docx|pdf|xlsx"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(NoticeFormat, "any_fmt")

app_name = "reports"
urlpatterns = [
    path("", views.index, name="index"),
    path("mujun/<int:pk>/notice.<any_fmt:fmt>", views.mujun, name="mujun"),
    path("league/<int:pk>/notice.<any_fmt:fmt>", views.league, name="league"),
]
