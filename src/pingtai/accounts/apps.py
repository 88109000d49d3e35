from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "pingtai.accounts"
    verbose_name = "用户与权限"

    def ready(self) -> None:
        from pingtai.accounts import signals  # noqa: F401  (records the login time)
