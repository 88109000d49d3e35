from django.apps import AppConfig


class PlanningConfig(AppConfig):
    name = "pingtai.planning"
    verbose_name = "整合规划"
    url_prefix = "planning/"
    nav = (
        ("并提撤转", "planning:index", ("city_admin", "leader")),
        ("合并模拟", "planning:simulate", ("city_admin", "leader")),
        ("产业链", "planning:chains"),
        ("利益共享", "planning:agreements"),
    )
