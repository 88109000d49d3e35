from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "pingtai.web"
    verbose_name = "页面"
