from django.apps import AppConfig


class FirmConfig(AppConfig):
    name = "pingtai.firm"
    label = "firm"
    verbose_name = "企业端（一企一单、公示与异议）"
    url_prefix = "firm/"
    nav = (("公示与异议", "publicity:index"),)

    def ready(self) -> None:
        # Years the city administrator loaded after deployment join the shipped calendar
        # (docs/enterprise.md, "Working days"); the calendar module itself has no Django.
        from pingtai.firm import calendar, calendar_years

        calendar.set_loaded_years(calendar_years.loaded_entries)
