from django.apps import AppConfig


class AllocationConfig(AppConfig):
    name = "pingtai.allocation"
    verbose_name = "要素差别化配置"
    url_prefix = "allocation/"
    nav = (("要素配置", "allocation:index"), ("项目准入", "allocation:proposals"))

    def ready(self) -> None:
        # Registers the app's run kind with the run kernel (pingtai.runs.kernel).
        from pingtai.allocation import runs  # noqa: F401
