"""The one place that decides which platforms' restricted data a user may read.

Views fetch scoped objects only through these functions, so a forgotten filter cannot leak
another platform's data: out-of-scope objects are answered with 404, not 403, so that ids
of other platforms cannot even be probed.
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from pingtai.accounts.models import User
from pingtai.registry.models import Enterprise, Platform


def platforms_for(user: User) -> QuerySet[Platform]:
    if not user.is_authenticated:
        return Platform.objects.none()
    if user.sees_all_platforms:
        return Platform.objects.all()
    return Platform.objects.filter(pk=user.platform_id)


def enterprises_for(user: User) -> QuerySet[Enterprise]:
    return Enterprise.objects.filter(platform__in=platforms_for(user))


def scoped_platform(user: User, code: str) -> Platform:
    try:
        return platforms_for(user).get(code=code)
    except Platform.DoesNotExist as missing:
        raise Http404("没有找到该平台，或您无权查看") from missing


def scoped_enterprise(user: User, uscc: str) -> Enterprise:
    try:
        return enterprises_for(user).select_related("platform", "county").get(uscc=uscc)
    except Enterprise.DoesNotExist as missing:
        raise Http404("没有找到该企业，或您无权查看") from missing


def role_required(*roles: str):
    """Allow a view only to the given roles (after login)."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.user.role not in roles:
                raise PermissionDenied("您的角色无权访问此页面")
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
