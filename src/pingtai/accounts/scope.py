"""The one place that decides which platforms' restricted data a user may read.

Views fetch scoped objects only through these functions, so a forgotten filter cannot leak
another platform's data: out-of-scope objects are answered with 404, not 403, so that ids
of other platforms cannot even be probed.
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.urls import reverse

from pingtai.accounts.models import User
from pingtai.registry.models import Enterprise, Platform

# Deny by default (docs/api.md): every view, selector, export and API operation names the
# roles it admits; a role it does not name — the enterprise role included — sees nothing.
CITY_ROLES = (User.Role.CITY_ADMIN, User.Role.LEADER)
# The government side: the roles every page of the programme is written for.
OFFICIALS = (User.Role.CITY_ADMIN, User.Role.LEADER, User.Role.PLATFORM, User.Role.DEPARTMENT)


def role_home(user) -> str:
    """The one place a role's start page is decided (docs/navigation.md): an enterprise user's
    is its own firm's page (docs/enterprise.md), every other role's is ``/`` (the leader's
    cockpit or the workbench). Login, ``/``, the error pages' 返回首页 and the header's brand all
    ask here, so no role is ever sent to a page it may not open."""
    enterprise = getattr(user, "is_authenticated", False) and user.role == User.Role.ENTERPRISE
    if enterprise and user.enterprise_id is not None:
        return reverse("firm:home")
    return reverse("home")


class AuthenticatedRequest(HttpRequest):
    """The request a view sees behind ``login_required`` or ``role_required``: its user is a
    signed-in pingtai ``User``, never the anonymous one. For annotations only."""

    user: User


def platforms_for(user: User) -> QuerySet[Platform]:
    if not user.is_authenticated:
        return Platform.objects.none()
    if user.sees_all_platforms:
        return Platform.objects.all()
    if user.role == User.Role.PLATFORM and user.platform_id is not None:
        return Platform.objects.filter(pk=user.platform_id)
    return Platform.objects.none()


def enterprises_for(user: User) -> QuerySet[Enterprise]:
    return Enterprise.objects.filter(platform__in=platforms_for(user))


def requirements_for(user: User):
    """Reporting requirements a user may see: own platform's, own department's, or all."""
    from pingtai.reporting.models import Requirement

    rows = Requirement.objects.select_related("period", "platform", "submission")
    if not user.is_authenticated:
        return rows.none()
    if user.role in CITY_ROLES:
        return rows
    # A platform user without a platform (User.clean refuses one) sees nothing, not the
    # department requirements whose platform is empty.
    if user.role == User.Role.PLATFORM and user.platform_id is not None:
        return rows.filter(platform_id=user.platform_id)
    if user.role == User.Role.DEPARTMENT and user.department:
        return rows.filter(department=user.department)
    return rows.none()


def owns_requirement(user: User, requirement) -> bool:
    """Only the submitting unit itself uploads and submits; the office reviews (NBS precedent:
    no one edits another unit's source data)."""
    if user.role == User.Role.PLATFORM:
        return requirement.platform_id is not None and requirement.platform_id == user.platform_id
    if user.role == User.Role.DEPARTMENT:
        return bool(requirement.department) and requirement.department == user.department
    return False


def scoped_requirement(user: User, pk: int):
    try:
        return requirements_for(user).get(pk=pk)
    except ObjectDoesNotExist as missing:
        raise Http404("没有找到该报送任务，或您无权查看") from missing


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


def own_enterprise(user: User) -> Enterprise:
    """The one firm an enterprise user may see (docs/enterprise.md); any other user, or an
    enterprise account whose firm is missing, gets 404 — nothing of a firm is shown to it."""
    if not user.is_authenticated or user.role != User.Role.ENTERPRISE or user.enterprise_id is None:
        raise Http404("没有找到本企业的信息")
    return Enterprise.objects.select_related("platform", "county").get(pk=user.enterprise_id)


def role_required(*roles: str):
    """Allow a view only to the given roles (after login); every other role gets 403. The
    roles are kept on the view as ``admitted_roles`` so a test can check every URL names them."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.user.role not in roles:
                raise PermissionDenied("您的角色无权访问此页面")
            return view(request, *args, **kwargs)

        wrapper.admitted_roles = frozenset(roles)  # type: ignore[attr-defined]
        return wrapper

    return decorator
