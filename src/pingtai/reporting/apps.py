from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "pingtai.reporting"
    verbose_name = "数据直报"
