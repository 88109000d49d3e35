from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "pingtai.dashboard"
    verbose_name = "驾驶舱与地图"
    url_prefix = "dashboard/"
    nav = (("驾驶舱", "dashboard:cockpit"), ("地图", "dashboard:map"))
