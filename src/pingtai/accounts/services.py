"""Demo accounts for the embedded default: one city administrator, one leader, one user per
platform and per department. Created only by the demo set-up, never in production."""

from __future__ import annotations

import io
from dataclasses import dataclass

import segno
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from pingtai.accounts.models import User
from pingtai.registry.models import Platform

DEMO_PASSWORD = "Lishui-Yanshi-7Qk3"


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    role: str
    scope: str


def _ensure(
    username: str,
    role: str,
    *,
    platform: Platform | None = None,
    department: str = "",
    staff: bool = False,
) -> User:
    user, created = User.objects.get_or_create(
        username=username,
        defaults={
            "role": role,
            "platform": platform,
            "department": department,
            "is_staff": staff,
            "is_superuser": staff,
        },
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    return user


@transaction.atomic
def accounts_ensure_demo_users() -> list[DemoLogin]:
    """Create the demo users that do not exist yet; existing ones keep their passwords."""
    logins = [
        DemoLogin(
            _ensure("admin", User.Role.CITY_ADMIN, staff=True).username,
            DEMO_PASSWORD,
            "市级管理员",
            "全市",
        ),
        DemoLogin(
            _ensure("leader", User.Role.LEADER).username, DEMO_PASSWORD, "领导", "全市（只读）"
        ),
    ]
    for platform in Platform.objects.order_by("code"):
        user = _ensure(f"pt_{platform.code.lower()}", User.Role.PLATFORM, platform=platform)
        logins.append(DemoLogin(user.username, DEMO_PASSWORD, "平台用户", platform.name))
    for department in User.Department:
        user = _ensure(
            f"dept_{department.value}", User.Role.DEPARTMENT, department=department.value
        )
        logins.append(DemoLogin(user.username, DEMO_PASSWORD, "部门用户", department.label))
    return logins


def accounts_start_totp(user) -> tuple[TOTPDevice, str]:
    """An unconfirmed TOTP device for the user (reused until confirmed) and its QR code as SVG."""
    device, _ = TOTPDevice.objects.get_or_create(
        user=user, confirmed=False, defaults={"name": "手机令牌"}
    )
    buffer = io.BytesIO()
    segno.make(device.config_url, error="m").save(buffer, kind="svg", scale=4, xmldecl=False)
    return device, buffer.getvalue().decode()


def accounts_confirm_totp(user, token: str, request=None) -> TOTPDevice | None:
    from pingtai.audit.models import AuditEvent
    from pingtai.audit.services import audit_record

    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None or not token.strip().isdigit() or not device.verify_token(token.strip()):
        return None
    with transaction.atomic():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        audit_record(
            AuditEvent.Action.UPDATE,
            request=request,
            actor=user,
            obj=device,
            detail="启用动态口令（TOTP）",
        )
    return device
