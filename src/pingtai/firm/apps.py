from django.apps import AppConfig


class FirmConfig(AppConfig):
    name = "pingtai.firm"
    label = "firm"
    verbose_name = "企业端（一企一单、公示与异议）"
    url_prefix = "firm/"
    nav = (("公示与异议", "publicity:index"),)
