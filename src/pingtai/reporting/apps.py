from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "pingtai.reporting"
    verbose_name = "数据直报"
    url_prefix = "reporting/"
    nav = (("待办", "reporting:inbox"), ("数据直报", "reporting:index"))

    @staticmethod
    def nav_count(user) -> int:
        """The number beside 待办 in the menu (reporting.inbox.action_count)."""
        from pingtai.reporting.inbox import action_count

        return action_count(user)
