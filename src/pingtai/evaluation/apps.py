from django.apps import AppConfig


class EvaluationConfig(AppConfig):
    name = "pingtai.evaluation"
    verbose_name = "亩均效益评价"
    url_prefix = "evaluation/"
    nav = (("亩均评价", "evaluation:index"),)
