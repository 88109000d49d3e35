from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "pingtai.reports"
    verbose_name = "通报与报表"
    url_prefix = "reports/"
    nav = (("通报", "reports:index"),)
