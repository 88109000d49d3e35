from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "pingtai.registry"
    verbose_name = "平台体系登记"
