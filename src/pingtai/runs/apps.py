from django.apps import AppConfig


class RunsConfig(AppConfig):
    name = "pingtai.runs"
    verbose_name = "批次与更正"
    url_prefix = "runs/"
