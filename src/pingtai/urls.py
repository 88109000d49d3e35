"""URL root. Each domain app declares its own ``url_prefix`` (and menu ``nav``) on its
AppConfig, so adding a module is one line in INSTALLED_APPS."""

from django.apps import apps
from django.contrib import admin
from django.http import HttpRequest
from django.urls import include, path
from django_otp.plugins.otp_totp.models import TOTPDevice

from pingtai.accounts.models import User
from pingtai.accounts.views import admin_login

admin.site.site_header = "开发区（园区）整合提升平台管理系统"
admin.site.site_title = "平台管理后台"
admin.site.index_title = "数据管理"
# One login for the whole system: the admin's own form would skip the lockout and TOTP.
admin.site.login = admin_login  # type: ignore[method-assign]


def _admin_site_permission(request: HttpRequest) -> bool:
    """The admin site admits staff accounts of the city administrator role only."""
    user = request.user
    return user.is_active and user.is_staff and user.role in ADMIN_SITE_ROLES


ADMIN_SITE_ROLES = (User.Role.CITY_ADMIN,)
admin.site.has_permission = _admin_site_permission  # type: ignore[method-assign]

# django-otp registers its device model with English labels; each user sets up 两步验证 from
# the user menu, so the admin does not list device secrets at all (runs after autodiscovery).
if admin.site.is_registered(TOTPDevice):
    admin.site.unregister(TOTPDevice)

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("pingtai.accounts.urls")),
    *[
        path(prefix, include(f"{config.name}.urls"))
        for config in apps.get_app_configs()
        if (prefix := getattr(config, "url_prefix", None))
    ],
    path("", include("pingtai.web.urls")),
]
