from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "pingtai.api"
    verbose_name = "数据接口"
    url_prefix = "api/"
