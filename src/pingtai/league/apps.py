from django.apps import AppConfig


class LeagueConfig(AppConfig):
    name = "pingtai.league"
    verbose_name = "平台考评"
    url_prefix = "league/"
    nav = (
        ("平台考评", "league:index"),
        ("约谈整改", "league:follow_up", ("city_admin", "leader", "platform")),
        ("目标预警", "league:targets"),
    )

    def ready(self) -> None:
        # Registers the app's run kind with the run kernel (pingtai.runs.kernel).
        from pingtai.league import runs  # noqa: F401
