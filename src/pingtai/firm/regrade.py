"""Re-grade as a new version: a new run of the same method from inputs with the accepted
corrections frozen in, compared with the run it replaces, published only through the run
kernel and by someone other than whoever accepted a correction (docs/enterprise.md,
"Re-grade"; docs/runs.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from pingtai.accounts.models import User
from pingtai.audit.models import AuditEvent
from pingtai.audit.services import audit_record
from pingtai.core.refusal import Refused
from pingtai.evaluation.models import EvaluationRun
from pingtai.evaluation.services import run_evaluation, run_publish
from pingtai.firm.models import Objection
from pingtai.firm.sheet import field_text, number_text
from pingtai.runs import kernel
from pingtai.runs.models import RunStatus
from pingtai.runs.selectors import current_published


@dataclass
class Regrade:
    old: EvaluationRun
    new: EvaluationRun
    diff: list[dict[str, Any]]
    published: bool

    def class_changes(self) -> list[tuple[str, str, str, str]]:
        """(USCC, 名称, 旧类别, 新类别) of each firm whose class changed."""
        return [
            (d["entity"], d["name"], d["changes"]["class"][0], d["changes"]["class"][1])
            for d in self.diff
            if "class" in d["changes"]
        ]


def explain(diff: list[dict[str, Any]], run: EvaluationRun) -> list[dict[str, Any]]:
    """Each change with why: the objection whose accepted correction changed the firm's own
    figures, or — for the others — that corrected figures moved the benchmarks or ranks of
    their group."""
    by_firm: dict[str, list[dict]] = {}
    for c in run.provenance.get("corrections", []):
        by_firm.setdefault(c["uscc"], []).append(c)
    out = []
    for d in diff:
        own = by_firm.get(d["entity"], [])
        if own:
            why = "；".join(
                f"异议 {c['objection']} 经{c['decided_by']}采纳："
                f"{field_text(c['field'])}由 {number_text(c['old'], c['field'])} "
                f"更正为 {number_text(c['new'], c['field'])}"
                for c in own
            )
        else:
            why = "本企业数据未变；同组企业数据更正后，基准值或排名随之变化"
        out.append({**d, "objections": [c["objection"] for c in own], "why": why})
    return out


def regrade(
    year: int,
    supersede: int,
    *,
    reason: str,
    user: User,
    publish: bool = False,
    override_reason: str = "",
    request=None,
) -> Regrade:
    """Evaluate ``year`` again with the method of run ``supersede`` and every accepted
    correction; with ``publish``, make it the current result through the kernel. When the
    replaced run is a 公示稿 (not yet published), the new run replaces it as the draft and is
    published in its place."""
    old = EvaluationRun.objects.filter(pk=supersede).first()
    if old is None:
        raise Refused(f"{EvaluationRun.name_of(supersede)}不存在", code="no_run")
    if old.year != year:
        raise Refused(f"{old.name}是{old.year}年度的，不是{year}年度", code="wrong_year")
    if old.status == RunStatus.SUPERSEDED:
        raise Refused(f"{old.name}已被取代", code="run_superseded")
    reason = reason.strip()
    if not reason:
        raise Refused("重新评价须说明理由（--reason）", code="reason_required", field="reason")
    if publish and not user.is_city_admin:
        raise Refused("只有市级管理员可以发布结果", code="forbidden")
    new, _ = run_evaluation(
        year,
        old.method_id,
        user=user,
        robustness_draws=old.robustness_draws,
        seed=old.seed,
        tenant_rule=old.provenance.get("tenant_rule", "separate"),
        request=request,
    )
    diff = explain(kernel.diff_runs(old, new), new)
    if not publish:
        return Regrade(old, new, diff, published=False)
    with transaction.atomic():
        current = current_published(EvaluationRun, year=year)
        if current is not None:
            new = run_publish(
                new,
                user=user,
                supersede=old.pk,
                reason=reason,
                override_reason=override_reason,
                request=request,
            )
            new.supersede_diff = explain(new.supersede_diff, new)
            new.save(update_fields=["supersede_diff"])
        else:
            # The 公示稿 is replaced before anything was published: four eyes as for a
            # published result (the kernel checks them only when superseding).
            if user.pk in kernel.kind_of(new).correction_deciders(new):
                raise Refused(
                    "更正须由两人完成：受理本批次所用更正数据的人不能再发布更正后的结果，"
                    "请由另一位市级管理员发布",
                    code="four_eyes",
                )
            new.supersedes, new.supersede_reason, new.supersede_diff = old, reason, diff
            new.save(update_fields=["supersedes", "supersede_reason", "supersede_diff"])
            new = run_publish(new, user=user, override_reason=override_reason, request=request)
            locked = EvaluationRun.objects.select_for_update().get(pk=old.pk)
            before = locked.status
            locked.status, locked.superseded_at = RunStatus.SUPERSEDED, timezone.now()
            locked.save(update_fields=["status", "superseded_at"])
            audit_record(
                AuditEvent.Action.UPDATE,
                request=request,
                actor=user,
                obj=locked,
                before={"status": before},
                after={"status": RunStatus.SUPERSEDED, "superseded_by": new.pk},
                detail=f"公示稿被{new.name}取代：{reason}",
            )
        numbers = [c["objection"] for c in new.provenance.get("corrections", [])]
        Objection.objects.filter(number__in=numbers).update(applied_in=new)
    return Regrade(old, new, new.supersede_diff, published=True)
