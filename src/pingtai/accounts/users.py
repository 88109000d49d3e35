"""User administration in the application (docs/users.md): the city administrator manages
every official account, a platform user the accounts of its own platform. Create, disable and
enable, reset the password (a one-time password the holder must replace at the next login) and
unlock after too many failed logins (the lockout store, ``LoginThrottle``). Each change is
audited; an administrator cannot disable or lock out their own account."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from pingtai.accounts.lockout import _cool_off
from pingtai.accounts.models import LoginThrottle, User
from pingtai.core.refusal import Refused

# Roles a platform user may give: its own platform's accounts only.
PLATFORM_MANAGES = (User.Role.PLATFORM,)


def can_manage_users(user) -> bool:
    return user.is_authenticated and (
        user.role == User.Role.CITY_ADMIN
        or (user.role == User.Role.PLATFORM and user.platform_id is not None)
    )


def managed_users(manager) -> QuerySet[User]:
    """The accounts this manager may see and change (deny by default)."""
    users = User.objects.select_related("platform").order_by("role", "platform__code", "username")
    if manager.role == User.Role.CITY_ADMIN:
        return users.exclude(role=User.Role.ENTERPRISE)
    if manager.role == User.Role.PLATFORM and manager.platform_id:
        return users.filter(role=User.Role.PLATFORM, platform_id=manager.platform_id)
    return users.none()


def managed_user(manager, pk: int) -> User:
    user = managed_users(manager).filter(pk=pk).first()
    if user is None:
        raise Refused("没有找到该用户，或您无权管理该用户", code="not_found")
    return user


def locked_usernames(usernames: list[str]) -> set[str]:
    """Accounts whose failed logins on some address have reached the limit within the cool-off."""
    since = timezone.now() - _cool_off()
    return set(
        LoginThrottle.objects.filter(
            scope=LoginThrottle.Scope.ACCOUNT,
            username__in=usernames,
            failures__gte=settings.PINGTAI_LOGIN_FAILURE_LIMIT,
            last_failure_at__gte=since,
        ).values_list("username", flat=True)
    )


@dataclass(frozen=True)
class NewAccount:
    user: User
    one_time_password: str


def _audit(action: str, request, user: User, detail: str) -> None:
    from pingtai.audit.services import audit_record

    audit_record(action, request=request, obj=user, detail=detail)


def user_create(
    manager,
    *,
    username: str,
    full_name: str,
    role: str,
    platform=None,
    department: str = "",
    request=None,
) -> NewAccount:
    """A new official account with a one-time password (shown once to the manager)."""
    from pingtai.audit.models import AuditEvent
    from pingtai.firm.accounts import one_time_password

    if not can_manage_users(manager):
        raise Refused("您无权管理用户", code="forbidden")
    username = username.strip()
    if not username:
        raise Refused("请填写登录名", field="username")
    if User.objects.filter(username__iexact=username).exists():
        raise Refused(f"登录名“{username}”已被使用", field="username")
    if role == User.Role.ENTERPRISE:
        raise Refused("企业用户按平台批量开通（见企业账号开通），不在此处新建", field="role")
    if manager.role == User.Role.PLATFORM:
        if role not in PLATFORM_MANAGES:
            raise Refused("平台只能为本平台新建平台用户", field="role")
        platform = manager.platform
    if role == User.Role.PLATFORM and platform is None:
        raise Refused("平台用户必须选择所属平台", field="platform")
    if role != User.Role.PLATFORM:
        platform = None
    if role == User.Role.DEPARTMENT and not department:
        raise Refused("部门用户必须选择所属部门", field="department")
    if role != User.Role.DEPARTMENT:
        department = ""
    password = one_time_password()
    with transaction.atomic():
        user = User(
            username=username,
            first_name=full_name.strip(),
            role=role,
            platform=platform,
            department=department,
            is_staff=role == User.Role.CITY_ADMIN,
        )
        user.set_password(password)
        user.must_change_password = True
        user.full_clean(exclude=["password"])
        user.save()
        _audit(AuditEvent.Action.CREATE, request, user, f"新建用户（{user.get_role_display()}）")
    return NewAccount(user, password)


def user_set_active(manager, user: User, active: bool, request=None) -> User:
    from pingtai.audit.models import AuditEvent

    if user.pk == manager.pk and not active:
        raise Refused("不能停用自己的账号")
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(is_active=active)
        user.refresh_from_db()
        _audit(AuditEvent.Action.UPDATE, request, user, "启用账号" if active else "停用账号")
    return user


def user_reset_password(manager, user: User, request=None) -> str:
    """A new one-time password; the holder must choose their own at the next login."""
    from pingtai.audit.models import AuditEvent
    from pingtai.firm.accounts import one_time_password

    if user.pk == manager.pk:
        raise Refused("请通过“修改密码”更改自己的密码")
    password = one_time_password()
    with transaction.atomic():
        user.set_password(password)
        user.must_change_password = True
        user.save(update_fields=["password", "password_changed_at", "must_change_password"])
        _audit(AuditEvent.Action.UPDATE, request, user, "重置密码（一次性密码，须首次登录修改）")
    return password


def user_unlock(manager, user: User, request=None) -> int:
    """Forget the account's failed logins on every address; returns how many were cleared."""
    from pingtai.audit.models import AuditEvent

    with transaction.atomic():
        cleared, _ = LoginThrottle.objects.filter(
            scope=LoginThrottle.Scope.ACCOUNT, username=user.username
        ).delete()
        _audit(
            AuditEvent.Action.UPDATE, request, user, f"解除登录锁定（清除 {cleared} 条失败记录）"
        )
    return cleared
