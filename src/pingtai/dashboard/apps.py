from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "pingtai.dashboard"
    verbose_name = "驾驶舱与地图"
