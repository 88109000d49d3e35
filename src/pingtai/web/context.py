from __future__ import annotations

from django.apps import apps
from django.http import HttpRequest
from django.urls import reverse

from pingtai.accounts.scope import OFFICIALS


def navigation(request: HttpRequest) -> dict:
    """Menu entries: only modules that exist (each app's ``nav`` on its AppConfig, in
    INSTALLED_APPS order), and only those the user's role may open."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": []}
    if user.role == "enterprise" and user.enterprise_id:
        # The enterprise role's own menu: its firm's pages only (docs/enterprise.md).
        return {"nav": [("本企业", reverse("firm:home"))]}
    if user.role not in OFFICIALS:
        return {"nav": []}
    nav = [("平台体系", reverse("home")), ("整合沿革", reverse("as_of"))]
    for config in apps.get_app_configs():
        entries = [
            (label, reverse(url_name))
            for label, url_name, *roles in getattr(config, "nav", ())
            if user.role in (roles[0] if roles else OFFICIALS)
        ]
        # An app may put a count beside its first entry (待办: what waits for this user).
        counter = getattr(config, "nav_count", None)
        if entries and counter is not None and (count := counter(user)):
            entries[0] = (f"{entries[0][0]}（{count}）", entries[0][1])
        nav += entries
    if user.role == "platform" and user.platform_id:
        nav.append(("本平台企业", reverse("platform_enterprises", args=[user.platform.code])))
    if user.is_staff:
        nav.append(("管理后台", reverse("admin:index")))
    return {"nav": nav}
