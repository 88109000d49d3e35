"""Enterprise accounts: one per firm, bound to its 统一社会信用代码, created in bulk for a
platform by its platform user or the city administrator, each with a one-time password that
must be changed at the first login (docs/enterprise.md)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from pingtai.accounts.models import User
from pingtai.audit.models import AuditEvent
from pingtai.audit.services import audit_record
from pingtai.core.refusal import Refused
from pingtai.registry.models import Enterprise, Platform
from pingtai.xlsx import Column, write_table_xlsx

# Letters and digits that cannot be mistaken for one another on a printed list (no 0/O, 1/l/I).
_UPPER = "ABCDEFGHJKLMNPQRSTUVWXYZ"
_LOWER = "abcdefghijkmnpqrstuvwxyz"
_DIGITS = "23456789"


def username_for(enterprise: Enterprise) -> str:
    """Enterprise accounts are named after the code printed on the firm's business licence."""
    return f"qy{enterprise.uscc.lower()}"


def one_time_password() -> str:
    """Three groups of four from an unambiguous alphabet, joined by '-': about 71 bits, all four
    character classes, readable over the telephone."""
    alphabet = _UPPER + _LOWER + _DIGITS
    while True:
        groups = ["".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(3)]
        text = "-".join(groups)
        if (
            any(c in _UPPER for c in text)
            and any(c in _LOWER for c in text)
            and any(c in _DIGITS for c in text)
        ):
            return text


@dataclass(frozen=True)
class AccountLine:
    enterprise: Enterprise
    username: str
    password: str  # empty when the account already existed (its password is not reset)
    note: str


def _check_creator(user: User, platform: Platform) -> None:
    if user.role == User.Role.CITY_ADMIN:
        return
    if user.role == User.Role.PLATFORM and user.platform_id == platform.pk:
        return
    raise Refused("只有市级管理员或本平台的平台用户可以为企业开设账号", code="forbidden")


def enterprise_accounts_create(
    platform: Platform,
    *,
    user: User,
    progress: Callable[[int, int], None] | None = None,
    request=None,
) -> list[AccountLine]:
    """An account for every firm of ``platform`` in the register that has none yet; existing
    accounts keep their passwords (listed, without a password). Passwords are hashed with the
    same Argon2 settings as every other account; only the returned list holds them."""
    _check_creator(user, platform)
    firms = list(Enterprise.objects.filter(platform=platform).order_by("uscc"))
    existing = {
        u.enterprise_id: u
        for u in User.objects.filter(role=User.Role.ENTERPRISE, enterprise__in=firms)
    }
    lines: list[AccountLine] = []
    for i, firm in enumerate(firms, start=1):
        account = existing.get(firm.pk)
        if account is not None:
            lines.append(AccountLine(firm, account.username, "", "已有账号，密码未重置"))
        else:
            password = one_time_password()
            try:
                validate_password(password)
            except ValidationError:  # practically never; draw again rather than hand out a weak one
                password = one_time_password()
            with transaction.atomic():
                account = User(
                    username=username_for(firm),
                    role=User.Role.ENTERPRISE,
                    enterprise=firm,
                    first_name=firm.name[:150],
                )
                account.set_password(password)
                account.must_change_password = True
                account.full_clean()
                account.save()
                audit_record(
                    AuditEvent.Action.CREATE,
                    request=request,
                    actor=user,
                    obj=account,
                    after={"role": account.role, "uscc": firm.uscc},
                    detail=f"为{firm.name}开设企业账号（一次性初始密码）",
                )
            lines.append(AccountLine(firm, account.username, password, "首次登录须修改密码"))
        if progress is not None:
            progress(i, len(firms))
    return lines


ACCOUNT_HEADERS = [
    Column("序号", kind="integer"),
    Column("统一社会信用代码", kind="code"),
    Column("企业名称", kind="name"),
    Column("用户名", kind="code"),
    Column("一次性初始密码", kind="code"),
    Column("说明", kind="text"),
]


def accounts_xlsx(platform: Platform, lines: list[AccountLine]) -> bytes:
    """The printable list handed to the firms: one row per firm, the one-time password beside
    its user name; kept only as long as it takes to hand it out."""
    title = f"{platform.name}企业账号及一次性初始密码（首次登录须修改，请妥善保管、分发后销毁）"
    rows = [
        [i, line.enterprise.uscc, line.enterprise.name, line.username, line.password, line.note]
        for i, line in enumerate(lines, start=1)
    ]
    return write_table_xlsx(
        ACCOUNT_HEADERS,
        rows,
        sheet_name="企业账号",
        title=title,
        notes=["登录地址：本系统首页；登录后须立即设置自己的密码，可在“动态口令”页绑定手机令牌。"],
    )
