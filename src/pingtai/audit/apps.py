from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "pingtai.audit"
    verbose_name = "审计日志"
    url_prefix = "audit/"

    def ready(self) -> None:
        from pingtai.audit import signals  # noqa: F401  (connects the login signals)
