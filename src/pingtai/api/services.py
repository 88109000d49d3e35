"""Use cases of API tokens: create (the plain token is returned once), revoke, authenticate.

A token carries no rights of its own: every request runs as the token's user, so its role and
platform or department scope come from ``pingtai.accounts.scope`` exactly as on the web."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.db import transaction
from django.utils import timezone

from pingtai.accounts.models import User
from pingtai.api.models import ApiToken
from pingtai.audit.models import AuditEvent
from pingtai.audit.services import audit_record
from pingtai.core.refusal import Refused

TOKEN_PREFIX = "pt_"
DEFAULT_DAYS = 90
MAX_DAYS = 365
# Writing last_used on every request would turn each read into a write; a minute is precise
# enough to see whether a token is still in use.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


def token_digest(raw: str) -> str:
    # Tokens carry 256 random bits, so a fast hash is enough: there is nothing to brute-force.
    return hashlib.sha256(raw.encode()).hexdigest()


def token_create(
    user: User, name: str, *, days: int = DEFAULT_DAYS, actor: User | None = None, request=None
) -> tuple[ApiToken, str]:
    """Create a token for ``user``; return the row and the plain token (shown only this once)."""
    name = name.strip()
    if not name:
        raise Refused("令牌名称不能为空")
    if not 1 <= days <= MAX_DAYS:
        raise Refused(f"有效天数应在 1 到 {MAX_DAYS} 之间")
    if not user.is_active:
        raise Refused(f"用户 {user.username} 已停用，不能创建令牌")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            name=name,
            prefix=raw[:10],
            token_hash=token_digest(raw),
            created_at=now,
            created_by=actor,
            expires_at=now + dt.timedelta(days=days),
        )
        audit_record(
            AuditEvent.Action.CREATE,
            request=request,
            actor=actor,
            obj=token,
            after={
                "user": user.username,
                "name": name,
                "prefix": token.prefix,
                "expires_at": token.expires_at.isoformat(),
            },
            detail="创建接口令牌",
        )
    return token, raw


def token_revoke(token: ApiToken, *, actor: User | None = None, request=None) -> ApiToken:
    with transaction.atomic():
        locked = ApiToken.objects.select_for_update().get(pk=token.pk)
        if locked.revoked_at is not None:
            raise Refused(
                f"令牌 #{locked.pk}（{locked.name}）已于 {timezone.localtime(locked.revoked_at):%Y-%m-%d %H:%M} 吊销"
            )
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["revoked_at"])
        audit_record(
            AuditEvent.Action.UPDATE,
            request=request,
            actor=actor,
            obj=locked,
            before={"revoked_at": None},
            after={"revoked_at": locked.revoked_at.isoformat()},
            detail="吊销接口令牌",
        )
    return locked


def token_authenticate(raw: str) -> User | None:
    """The active user behind a valid token, or None (unknown, expired, revoked, user disabled)."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    token = (
        ApiToken.objects.select_related("user", "user__platform")
        .filter(token_hash=token_digest(raw))
        .first()
    )
    now = timezone.now()
    if token is None or not token.is_valid(now):
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
