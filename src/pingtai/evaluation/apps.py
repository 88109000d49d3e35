from django.apps import AppConfig


class EvaluationConfig(AppConfig):
    name = "pingtai.evaluation"
    verbose_name = "亩均效益评价"
