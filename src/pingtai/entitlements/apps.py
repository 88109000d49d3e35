from django.apps import AppConfig


class EntitlementsConfig(AppConfig):
    name = "pingtai.entitlements"
    verbose_name = "免申即享"
    url_prefix = "entitlements/"
    # The city's staff and the receiving departments; platforms receive nothing to execute.
    nav = (("免申即享", "entitlements:index", ("city_admin", "leader", "department")),)
