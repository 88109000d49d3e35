"""Login lockout (ASVS 2.2.1; 等保 登录失败处理): an account is locked for the cool-off time
on the address that failed too often, and an address that fails too often across accounts is
throttled. Nobody can lock a user out from another address.

Every attempt is counted as a failure *before* its password is checked, inside one
transaction that locks both counters, and given back when the login succeeds. Concurrent
guesses therefore queue on the counters: once the limit is reached no further password is
checked, however many requests arrive at the same moment.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone

from pingtai.accounts.models import LoginThrottle
from pingtai.accounts.net import client_ip
from pingtai.audit.models import AuditEvent
from pingtai.audit.services import audit_record
from pingtai.core.refusal import Refused

UNKNOWN_ADDRESS = "unknown"


@dataclass(frozen=True)
class LoginAttempt:
    """A counted attempt, to be given back with ``login_attempt_succeeded``."""

    username: str
    ip: str


def _cool_off() -> dt.timedelta:
    return dt.timedelta(seconds=settings.PINGTAI_LOGIN_COOL_OFF_SECONDS)


def _minutes(delta: dt.timedelta) -> int:
    return max(1, int(delta.total_seconds() + 59) // 60)


def login_attempt_begin(username: str, request: HttpRequest | None) -> LoginAttempt:
    """Count one attempt on (username, address) and on the address, or refuse it when either
    counter has reached its limit; the password must be checked only after this returns.
    A refused attempt is recorded in the audit log (its password was never looked at)."""
    attempt = LoginAttempt(username, client_ip(request) or UNKNOWN_ADDRESS)
    try:
        _count(attempt)
    except Refused as refused:
        audit_record(
            AuditEvent.Action.LOGIN_FAILED,
            request=request,
            username=username,
            detail=f"未校验密码：{refused.message}",
        )
        raise
    return attempt


def _count(attempt: LoginAttempt) -> None:
    now = timezone.now()
    since = now - _cool_off()
    keys = [
        (LoginThrottle.Scope.ACCOUNT, attempt.username, attempt.ip),
        (LoginThrottle.Scope.ADDRESS, "", attempt.ip),
    ]
    with transaction.atomic():
        LoginThrottle.objects.filter(ip=attempt.ip, last_failure_at__lt=since).delete()
        LoginThrottle.objects.bulk_create(
            [LoginThrottle(scope=s, username=u, ip=i, last_failure_at=now) for s, u, i in keys],
            ignore_conflicts=True,
        )
        # Fixed order (account before address) so that two attempts never wait on each other.
        account, address = (
            LoginThrottle.objects.select_for_update().get(scope=s, username=u, ip=i)
            for s, u, i in keys
        )
        if account.failures >= settings.PINGTAI_LOGIN_FAILURE_LIMIT:
            wait = _minutes(account.last_failure_at + _cool_off() - now)
            raise Refused(
                f"该账号在本地址的登录失败次数已达上限，已暂时锁定，请 {wait} 分钟后再试，"
                "或联系市级管理员解锁。",
                code="login_locked",
            )
        if address.failures >= settings.PINGTAI_LOGIN_ADDRESS_FAILURE_LIMIT:
            wait = _minutes(address.last_failure_at + _cool_off() - now)
            raise Refused(
                f"本地址的登录失败次数过多，已暂时限制登录，请 {wait} 分钟后再试，"
                "或联系市级管理员解锁。",
                code="login_throttled",
            )
        LoginThrottle.objects.filter(pk__in=[account.pk, address.pk]).update(
            failures=F("failures") + 1, last_failure_at=now
        )


def login_attempt_succeeded(attempt: LoginAttempt) -> None:
    """The password (and second factor) were right: the account's failures on this address are
    forgiven, and this attempt no longer counts against the address."""
    with transaction.atomic():
        LoginThrottle.objects.filter(
            scope=LoginThrottle.Scope.ACCOUNT, username=attempt.username, ip=attempt.ip
        ).delete()
        LoginThrottle.objects.filter(
            scope=LoginThrottle.Scope.ADDRESS, ip=attempt.ip, failures__gt=0
        ).update(failures=F("failures") - 1)
