from django.apps import AppConfig


class EvaluationConfig(AppConfig):
    name = "pingtai.evaluation"
    verbose_name = "亩均效益评价"
    url_prefix = "evaluation/"
    nav = (("亩均评价", "evaluation:index"),)

    def ready(self) -> None:
        # Registers the app's run kind with the run kernel (pingtai.runs.kernel).
        from pingtai.evaluation import runs  # noqa: F401
