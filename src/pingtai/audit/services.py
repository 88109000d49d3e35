"""Recording and verifying audit events."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.db import models, transaction
from django.http import HttpRequest
from django.utils import timezone

from pingtai.audit.models import AuditEvent

GENESIS = "0" * 64


def client_ip(request: HttpRequest | None) -> str | None:
    from pingtai.accounts.net import client_ip as proxied_client_ip  # trusted-proxy rule

    return proxied_client_ip(request)


def _digest(prev_hash: str, event: AuditEvent) -> str:
    payload = json.dumps(
        [
            prev_hash,
            event.at.isoformat(),
            event.actor_username,
            event.ip,
            event.action,
            event.object_type,
            event.object_id,
            event.object_repr,
            event.before,
            event.after,
            event.detail,
        ],
        ensure_ascii=False,
        sort_keys=True,
        default=str,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def _clean(text: str) -> str:
    """Escape line breaks so that no user-supplied value can forge a log line."""
    return text.replace("\r", "\\r").replace("\n", "\\n")


def audit_record(
    action: str,
    *,
    request: HttpRequest | None = None,
    actor=None,
    obj: models.Model | None = None,
    before: Any = None,
    after: Any = None,
    detail: str = "",
    username: str | None = None,
) -> AuditEvent:
    """Append one event to the chain; called inside the caller's transaction so that a rolled
    back change leaves no audit row claiming it happened."""
    user = actor or (
        request.user if request is not None and request.user.is_authenticated else None
    )
    with transaction.atomic():
        last = (
            AuditEvent.objects.select_for_update()
            .order_by("-id")
            .values_list("hash", flat=True)
            .first()
        )
        now = timezone.now()
        event = AuditEvent(
            # Millisecond precision: the precision of Django's JSON serialisation, so that a
            # restored backup reproduces every hash of the chain.
            at=now.replace(microsecond=now.microsecond // 1000 * 1000),
            actor=user,
            actor_username=_clean(
                username if username is not None else (user.get_username() if user else "")
            ),
            ip=client_ip(request),
            action=action,
            object_type=obj._meta.label if obj is not None else "",
            object_id=str(obj.pk) if obj is not None else "",
            object_repr=_clean(str(obj))[:300] if obj is not None else "",
            before=before,
            after=after,
            detail=_clean(detail),
            prev_hash=last or GENESIS,
        )
        event.hash = _digest(event.prev_hash, event)
        event.save()
    return event


def audit_verify_chain() -> list[int]:
    """Return the ids of events whose hash or link does not verify (empty when intact)."""
    broken, prev = [], GENESIS
    for event in AuditEvent.objects.order_by("id").iterator():
        if event.prev_hash != prev or _digest(event.prev_hash, event) != event.hash:
            broken.append(event.id)
        prev = event.hash
    return broken
