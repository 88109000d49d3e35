from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    name = "pingtai.supervision"
    verbose_name = "作战图督办"
    url_prefix = "supervision/"
    nav = (("作战图", "supervision:index"),)
