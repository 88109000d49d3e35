from django.apps import AppConfig


class SummariesConfig(AppConfig):
    name = "pingtai.summaries"
    verbose_name = "汇总数据"
