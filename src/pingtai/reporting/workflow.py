"""The submission state machine: draft → submitted → returned | approved → locked.

Every transition names the revision the user saw; if someone else changed the submission
in between, the transition is refused instead of silently overwriting (optimistic locking,
ASVS 2.3.4), and the row is locked for the duration of the change.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from pingtai.accounts.scope import owns_requirement
from pingtai.audit.models import AuditEvent
from pingtai.audit.services import audit_record
from pingtai.core.refusal import Refused
from pingtai.reporting.flow import apply_approved
from pingtai.reporting.models import Requirement, Submission
from pingtai.reporting.review import review_of

S = Submission.Status

# action → (states it may start from, state it leads to, audit action)
TRANSITIONS: dict[str, tuple[frozenset[str], str, str]] = {
    "submit": (frozenset({S.DRAFT, S.RETURNED}), S.SUBMITTED, AuditEvent.Action.SUBMIT),
    "return": (frozenset({S.SUBMITTED}), S.RETURNED, AuditEvent.Action.RETURN),
    "approve": (frozenset({S.SUBMITTED}), S.APPROVED, AuditEvent.Action.APPROVE),
    "lock": (frozenset({S.APPROVED}), S.LOCKED, AuditEvent.Action.LOCK),
}
# Reviewing is the city office's job; submitting is the reporting unit's own.
REVIEW_ACTIONS = frozenset({"return", "approve", "lock"})


def authorise_transition(user, requirement: Requirement, action: str) -> None:
    """Who may move a submission: the city administrator reviews, the unit that owns the
    requirement submits. The one place this rule lives for the web, the API and the CLI."""
    allowed = (
        user.is_city_admin if action in REVIEW_ACTIONS else owns_requirement(user, requirement)
    )
    if not allowed:
        raise PermissionDenied("您的角色不能执行此操作")


def submission_transition(
    submission_id: int,
    action: str,
    *,
    user,
    seen_revision: int,
    reason: str = "",
    slips_checked: bool = False,
    request=None,
) -> Submission:
    """``slips_checked``: on approval, the reviewer states that the values the review flags as
    suspected unit slips were checked; ``reason`` then says how (both required when any is
    flagged)."""
    allowed_from, target, audit_action = TRANSITIONS[action]
    with transaction.atomic():
        sub = (
            Submission.objects.select_for_update()
            .select_related("requirement__period")
            .get(pk=submission_id)
        )
        authorise_transition(user, sub.requirement, action)
        if sub.revision != seen_revision:
            raise Refused("该报送已被他人更新，请刷新页面后重试")
        if sub.status not in allowed_from:
            raise Refused(f"当前状态为“{sub.get_status_display()}”，不能执行此操作")
        if action == "submit" and sub.latest_version_id is None:
            raise Refused("尚未上传数据文件，不能提交")
        if action == "return" and not reason.strip():
            raise Refused("退回必须填写理由", field="reason")
        before = {"status": sub.status, "revision": sub.revision}
        sub.status = target
        sub.revision += 1
        sub.updated_at = timezone.now()
        if action == "return":
            sub.return_reason = reason.strip()
        if action == "approve":
            version = sub.latest_version
            if version is None:  # submitting needs a version, so an approvable one has it
                raise Refused("尚未上传数据文件，不能批准")
            suspected = review_of(sub.requirement, version).suspected
            if suspected and not (slips_checked and reason.strip()):
                listed = "；".join(
                    f"{r.key_name or r.key} {r.name} {r.value_text}（{r.suspicions[0]}）"
                    for r in suspected[:3]
                )
                more = f"等 {len(suspected)} 处" if len(suspected) > 3 else ""
                raise Refused(
                    f"第{version.number}版有疑似单位错误：{listed}{more}。"
                    "审核通过前须逐项核实，勾选“已核实疑似单位错误”并填写核实说明",
                    code="unconfirmed_slips",
                    field="slips_checked",
                )
            version.approved_by, version.approved_at = user, timezone.now()
            version.review_note = reason.strip() if suspected else ""
            version.save(update_fields=["approved_by", "approved_at", "review_note"])
            sub.approved_version = version
        sub.save()
        if action == "approve":
            # Approved data reaches every reader in the same transaction (flow.py).
            apply_approved(sub, user=user, request=request)
        audit_record(
            audit_action,
            request=request,
            actor=user,
            obj=sub,
            before=before,
            after={
                "status": sub.status,
                "revision": sub.revision,
                "approved_version": sub.approved_version_id,
            },
            detail=reason.strip(),
        )
    return sub
