from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "pingtai.reporting"
    verbose_name = "数据直报"
    url_prefix = "reporting/"
    nav = (("数据直报", "reporting:index"),)
