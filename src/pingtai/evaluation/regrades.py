"""Manual regrades (手动调档, docs/engine.md) under four eyes: one city administrator
requests, a different one approves; an approved regrade never changes, a different class is a
new request, and the latest approved regrade of an enterprise and year is the one in force."""

from __future__ import annotations

from functools import lru_cache

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from pingtai.accounts.models import User
from pingtai.audit.models import AuditEvent
from pingtai.audit.services import audit_record
from pingtai.core.refusal import Refused
from pingtai.engine import list_methods
from pingtai.evaluation.models import Regrade
from pingtai.registry.models import Enterprise

# Regrades are a city decision: requested and approved by city administrators only.
REGRADE_ROLES = (User.Role.CITY_ADMIN,)


@lru_cache(maxsize=1)
def regrade_classes() -> tuple[str, ...]:
    """The classes the shipped enterprise methods grade into, in band order."""
    classes: list[str] = []
    for method in list_methods():
        if method.kind != "enterprise":
            continue
        for segment in method.segments.values():
            for band in segment.classes.bands if segment.classes else []:
                if band.class_ not in classes:
                    classes.append(band.class_)
    return tuple(classes)


def _check_role(user: User) -> None:
    if user.role not in REGRADE_ROLES:
        raise Refused("只有市级管理员可以申请或批准人工调整类别", code="forbidden")


def _validated(regrade: Regrade) -> Regrade:
    try:
        regrade.full_clean()
    except ValidationError as invalid:
        raise Refused("；".join(invalid.messages), code="invalid_regrade") from None
    if not regrade.reason.strip():
        raise Refused("必须填写调整理由", code="invalid_regrade", field="reason")
    return regrade


def regrade_request(
    enterprise: Enterprise,
    year: int,
    to_class: str,
    reason: str,
    *,
    user: User,
    request: HttpRequest | None = None,
) -> Regrade:
    """A new request; it takes effect only when a second city administrator approves it."""
    _check_role(user)
    regrade = _validated(
        Regrade(
            enterprise=enterprise,
            year=year,
            to_class=to_class.strip().upper(),
            reason=reason.strip(),
            requested_by=user,
        )
    )
    with transaction.atomic():
        regrade.save()
        audit_record(
            AuditEvent.Action.CREATE,
            request=request,
            actor=user,
            obj=regrade,
            after={"to_class": regrade.to_class, "reason": regrade.reason},
            detail="申请人工调整类别",
        )
    return regrade


def regrade_revise(
    regrade: Regrade,
    *,
    to_class: str,
    reason: str,
    user: User,
    request: HttpRequest | None = None,
) -> Regrade:
    """The requester corrects a pending request; nobody else may (an approver who could edit
    a request before approving it would decide alone)."""
    _check_role(user)
    with transaction.atomic():
        locked = Regrade.objects.select_for_update().get(pk=regrade.pk)
        if locked.is_approved:
            raise Refused(
                "已批准的调整不能修改；如需变更，请提出新的调整申请", code="regrade_approved"
            )
        if locked.requested_by_id != user.pk:
            raise Refused("只有申请人可以修改待批准的调整申请", code="forbidden")
        before = {"to_class": locked.to_class, "reason": locked.reason}
        locked.to_class, locked.reason = to_class.strip().upper(), reason.strip()
        _validated(locked).save(update_fields=["to_class", "reason"])
        audit_record(
            AuditEvent.Action.UPDATE,
            request=request,
            actor=user,
            obj=locked,
            before=before,
            after={"to_class": locked.to_class, "reason": locked.reason},
            detail="修改人工调整类别申请",
        )
    return locked


def regrade_approve(regrade: Regrade, *, user: User, request: HttpRequest | None = None) -> Regrade:
    """Approve a pending request as a second city administrator."""
    _check_role(user)
    with transaction.atomic():
        locked = Regrade.objects.select_for_update().get(pk=regrade.pk)
        if locked.is_approved:
            raise Refused(f"{locked}：已批准，不能重复批准", code="regrade_approved")
        if locked.requested_by_id == user.pk:
            raise Refused(f"{locked}：不能批准本人提出的调整", code="four_eyes")
        _validated(locked)
        locked.approved_by, locked.approved_at = user, timezone.now()
        locked.save(update_fields=["approved_by", "approved_at"])
        audit_record(
            AuditEvent.Action.APPROVE,
            request=request,
            actor=user,
            obj=locked,
            after={"to_class": locked.to_class, "reason": locked.reason},
        )
    return locked


def regrades_in_force(year: int) -> list[Regrade]:
    """Per enterprise, the latest approved regrade of the year, oldest request first."""
    latest: dict[int, Regrade] = {}
    approved = (
        Regrade.objects.filter(year=year, approved_by__isnull=False)
        .select_related("enterprise", "approved_by")
        .order_by("approved_at", "pk")
    )
    for regrade in approved:
        latest[regrade.enterprise_id] = regrade
    return sorted(latest.values(), key=lambda r: (r.requested_at, r.pk))
