from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse


def navigation(request: HttpRequest) -> dict:
    """Menu entries: only modules that exist, and only those the user's role may open."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": []}
    nav = [("平台体系", reverse("home")), ("整合沿革", reverse("as_of")),
           ("数据直报", reverse("reporting:index")), ("亩均评价", reverse("evaluation:index")),
           ("驾驶舱", reverse("dashboard:cockpit")), ("地图", reverse("dashboard:map"))]
    if user.role == "platform" and user.platform_id:
        nav.append(("本平台企业", reverse("platform_enterprises", args=[user.platform.code])))
    if user.is_staff:
        nav.append(("管理后台", reverse("admin:index")))
    return {"nav": nav}
