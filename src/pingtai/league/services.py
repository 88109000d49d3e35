"""Use cases of the platform league: runs, publication, 进退档 proposals and pay pools.

Views and the CLI call these; every change is audited in the same transaction.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import polars as pl
from django.db import transaction
from django.utils import timezone

from pingtai.audit.models import AuditEvent
from pingtai.audit.services import audit_record
from pingtai.core import terms
from pingtai.core.progress import Progress
from pingtai.core.refusal import Refused
from pingtai.engine import InputError, MethodError, evaluate, load_method
from pingtai.engine.result import EvaluationResult
from pingtai.engine.version import ENGINE_VERSION
from pingtai.league import decisions, inputs, rules
from pingtai.league.models import (
    LeagueRun,
    PayPool,
    PayShare,
    PlatformResult,
    TieDecision,
    TierProposal,
)
from pingtai.league.runs import recompute_result
from pingtai.registry.models import Platform
from pingtai.reporting.services import store_file
from pingtai.runs import kernel
from pingtai.runs.selectors import current_published_all

METHODS = {
    "quarter": "lishui-platform-quarter",
    "half": "lishui-platform-midyear",
    "year": "lishui-platform-annual",
}
DEFAULT_DRAWS = 2000


def _evaluate(method_id: str, frame: pl.DataFrame, draws: int, seed: int) -> EvaluationResult:
    try:
        return evaluate(load_method(method_id), frame, robustness_draws=draws, seed=seed)
    except (InputError, MethodError) as bad:
        raise Refused(str(bad)) from None


def direction_scores(method, table_row: dict) -> dict[str, float]:
    """Pillar id → points: the sum of its indicators' weighted scores (weighted-sum pillars)."""
    seg = method.segments[inputs.SEGMENT]
    out: dict[str, float] = {p.id: 0.0 for p in seg.pillars}
    for item in seg.indicators:
        out[item.pillar] += table_row.get(f"score__{item.indicator}") or 0.0
    return out


def run_create(
    cycle: str,
    period_code: str,
    *,
    user,
    grouping: str | None = None,
    robustness_draws: int = DEFAULT_DRAWS,
    seed: int = 0,
    request=None,
    progress: Progress | None = None,
) -> LeagueRun:
    """Assemble the approved inputs, evaluate, and store a preview run with its snapshot."""
    loaded = rules.load_rules()
    grouping = grouping or loaded.rules.groupings.default
    try:
        period = inputs.cycle_period(cycle, period_code)
        group_rule = loaded.rules.groupings.get(grouping)
    except Refused as bad:
        raise Refused(str(bad)) from None
    except KeyError:
        raise Refused(f"分组方式“{grouping}”无效，应为 role 或 size") from None
    try:
        assembled = inputs.assemble(period, grouping, group_rule)
    except Refused as bad:
        raise Refused(str(bad)) from None
    method_id = METHODS[cycle]
    snapshot = inputs.snapshot_bytes(assembled.frame)
    result = _evaluate(method_id, inputs.snapshot_frame(snapshot), robustness_draws, seed)
    with transaction.atomic():
        run = LeagueRun.objects.create(
            cycle=cycle,
            period_code=period.code,
            year=period.year,
            quarter=period.quarter,
            grouping=grouping,
            method_id=result.method_id,
            engine_version=ENGINE_VERSION,
            method_version=result.method_version,
            method_hash=result.method_hash,
            rules_version=loaded.rules.version,
            rules_hash=loaded.sha256,
            input_snapshot=store_file(snapshot),
            input_hash=result.input_hash,
            result=store_file(result.to_csv_bytes()),
            result_hash=result.result_hash,
            robustness_draws=robustness_draws,
            seed=seed,
            provenance={**assembled.provenance, "decimals": result.method.output.decimals},
            warnings=assembled.warnings + result.warnings,
            created_by=user,
        )
        _store_results(run, result)
        audit_record(
            AuditEvent.Action.CREATE,
            request=request,
            actor=user,
            obj=run,
            after={
                "cycle": cycle,
                "period": period.code,
                "grouping": grouping,
                "method": f"{result.method_id} v{result.method_version}",
                "input_hash": result.input_hash,
                "result_hash": result.result_hash,
            },
        )
    return run


def _store_results(run: LeagueRun, result: EvaluationResult) -> None:
    method = result.method
    platforms = {p.code: p for p in Platform.objects.all()}
    groups = run.provenance["groups"]
    rows = result.table.to_dicts()
    # Competition ranking across the city (1, 1, 3): equal scores share a place.
    overall_rank = decisions.competition_ranks(
        {r["platform_code"]: r["score"] or 0.0 for r in rows}
    )
    indicator_ids = [it.indicator for it in method.segments[inputs.SEGMENT].indicators]
    objs = []
    for r in rows:
        code = r["platform_code"]
        objs.append(
            PlatformResult(
                run=run,
                platform=platforms[code],
                platform_code=code,
                tier=platforms[code].tier,
                group=groups[code],
                group_size=r["group_size"],
                score=r["score"],
                klass=r["class"],
                rank=r["rank"],
                rank_order=r["rank_order"],
                overall_rank=overall_rank[code],
                directions=direction_scores(method, r),
                values={
                    k: {"value": r.get(k), "score": r.get(f"score__{k}")} for k in indicator_ids
                },
                rank_p05=r.get("rank_p05"),
                rank_median=r.get("rank_median"),
                rank_p95=r.get("rank_p95"),
                p_last=r.get("p_last"),
                robust_flag=r.get("robust_flag") or "",
            )
        )
    PlatformResult.objects.bulk_create(objs)


def run_rerun(run: LeagueRun) -> EvaluationResult:
    """Evaluate the stored snapshot again under the run's method."""
    return recompute_result(run)


def run_reproduces(run: LeagueRun) -> bool:
    return kernel.reproduce(run).ok


def run_publish(
    run: LeagueRun,
    *,
    user,
    supersede: int | LeagueRun | None = None,
    reason: str = "",
    override_reason: str = "",
    request=None,
) -> LeagueRun:
    """Publish through the run kernel: one current result per cycle, period and grouping; an
    earlier published run is replaced only when named in ``supersede`` with a ``reason``."""
    return kernel.publish(
        run,
        user=user,
        supersede=supersede,
        reason=reason,
        override_reason=override_reason,
        request=request,
    )


# --- 并列位次的决定 -------------------------------------------------------------------------


def tie_decide(
    run: LeagueRun, place: str, platforms: list[str], *, user, reason: str, request=None
) -> TieDecision:
    """Record which of the platforms tied for a contested place of a list take it.

    Only the city administrator, only before publication, only for a tie the run has open, and
    exactly as many platforms as there are contested places, all from the tie; with a reason.
    A decision is not changed afterwards (a different decision needs a new run)."""
    from pingtai.league import selectors

    if not user.is_city_admin:
        raise Refused("只有市级管理员可以决定并列位次", code="forbidden")
    reason = reason.strip()
    with transaction.atomic():
        run = LeagueRun.objects.select_for_update().get(pk=run.pk)
        if not run.can_publish:
            raise Refused(
                f"{run.name}状态为“{run.get_status_display()}”，名单已冻结，不能再决定并列位次",
                code="not_preview",
            )
        found = selectors.run_decisions(run)
        open_places = {t.place: t for t in found.open_ties}
        tie = open_places.get(place.strip())
        if tie is None:
            decided = {t.place for t in found.ties} - set(open_places)
            if place.strip() in decided:
                raise Refused(f"“{place}”的并列位次已经决定，不能更改", code="decided")
            listed = "、".join(open_places) or "无"
            raise Refused(
                f"{run.name}没有待决定的并列位次“{place}”；待决定的有：{listed}",
                code="no_tie",
                field="place",
            )
        names = dict(
            Platform.objects.filter(code__in=tie.candidates).values_list("code", "short_name")
        )
        by_name = {v: k for k, v in names.items()}
        chosen = [by_name.get(p.strip(), p.strip().upper()) for p in platforms if p.strip()]
        tied = "、".join(names[c] for c in tie.candidates)
        if len(set(chosen)) != tie.seats or not set(chosen) <= set(tie.candidates):
            raise Refused(
                f"{tie.question}：并列的平台为{tied}，须从中选定 {tie.seats} 个列入",
                code="wrong_choice",
                field="platforms",
            )
        if not reason:
            raise Refused("决定并列位次必须填写理由", code="reason_required", field="reason")
        decision = TieDecision.objects.create(
            run=run,
            place=tie.place,
            platforms=sorted(set(chosen)),
            candidates=list(tie.candidates),
            reason=reason,
            decided_by=user,
        )
        audit_record(
            AuditEvent.Action.CREATE,
            request=request,
            actor=user,
            obj=decision,
            after={
                "run": run.pk,
                "place": decision.place,
                "platforms": decision.platforms,
                "candidates": decision.candidates,
                "reason": reason,
            },
            detail=(
                f"{run.name}的{tie.question}：{tied}并列，决定由"
                f"{'、'.join(names[c] for c in decision.platforms)}列入。理由：{reason}"
            ),
        )
    return decision


# --- 进退档 ---------------------------------------------------------------------------------


def _year_end_history(as_of: int, run: LeagueRun) -> list[rules.YearResult]:
    """Year-end results up to ``as_of``: ``run`` for its year, the current year-end run (same
    grouping) of every earlier year."""
    history = [
        rules.YearResult(as_of, r.platform_code, r.tier, r.score, r.klass)
        for r in run.results.all()
    ]
    earlier = current_published_all(
        LeagueRun, cycle=LeagueRun.Cycle.YEAR, grouping=run.grouping, year__lt=as_of
    )
    for other in earlier:
        history += [
            rules.YearResult(other.year, r.platform_code, r.tier, r.score, r.klass)
            for r in other.results.all()
        ]
    return history


def proposals_make(run: LeagueRun, *, user, request=None) -> list[TierProposal]:
    """进退档 proposals from a published year-end run; pending proposals of an earlier run of the
    same year are withdrawn (marked not approved)."""
    if run.cycle != LeagueRun.Cycle.YEAR or not run.is_published:
        raise Refused("进退档建议只能依据已发布的年终考核批次生成")
    if run.tier_proposals.exists():
        raise Refused("该批次已生成进退档建议")
    if TierProposal.objects.filter(
        run__year=run.year, status=TierProposal.Status.APPROVED
    ).exists():
        raise Refused(f"{run.year} 年度已有批准的进退档，不能重新生成")
    loaded = rules.load_rules()
    current = dict(Platform.objects.values_list("code", "tier"))
    found = rules.tier_proposals(
        loaded.rules.tiers, _year_end_history(run.year, run), current, run.year
    )
    platforms = {p.code: p for p in Platform.objects.all()}
    with transaction.atomic():
        stale = TierProposal.objects.filter(run__year=run.year, status=TierProposal.Status.PROPOSED)
        for old in stale:
            old.status, old.note = TierProposal.Status.REJECTED, f"已被{run.name}的建议取代"
            old.decided_by, old.decided_at = user, timezone.now()
            old.save(update_fields=["status", "note", "decided_by", "decided_at"])
            audit_record(
                AuditEvent.Action.UPDATE,
                request=request,
                actor=user,
                obj=old,
                before={"status": "proposed"},
                after={"status": "rejected"},
                detail=old.note,
            )
        made = [
            TierProposal.objects.create(
                run=run,
                platform=platforms[p.code],
                from_tier=p.from_tier,
                to_tier=p.to_tier,
                rule_id=p.rule_id,
                reason=p.reason,
                years=list(p.years),
                mean_score=p.mean_score,
            )
            for p in found
        ]
        for proposal in made:
            audit_record(
                AuditEvent.Action.CREATE,
                request=request,
                actor=user,
                obj=proposal,
                after={
                    "platform": proposal.platform.code,
                    "from": proposal.from_tier,
                    "to": proposal.to_tier,
                    "rule": proposal.rule_id,
                },
            )
    return made


def proposal_decide(
    proposal: TierProposal, *, user, approve: bool, note: str = "", request=None
) -> TierProposal:
    """Approve (the platform's tier changes) or reject a proposal."""
    if not user.is_city_admin:
        raise Refused("只有市级管理员可以审批进退档")
    with transaction.atomic():
        proposal = (
            TierProposal.objects.select_for_update().select_related("platform").get(pk=proposal.pk)
        )
        if proposal.status != TierProposal.Status.PROPOSED:
            raise Refused(f"该建议已{proposal.get_status_display()}")
        platform = Platform.objects.select_for_update().get(pk=proposal.platform_id)
        if approve and platform.tier != proposal.from_tier:
            raise Refused(
                f"{platform.short_name}当前为{terms.tier_name(platform.tier)}，与建议的原梯队不符"
            )
        if not approve and not note.strip():
            raise Refused("不批准必须填写意见")
        proposal.status = TierProposal.Status.APPROVED if approve else TierProposal.Status.REJECTED
        proposal.decided_by, proposal.decided_at, proposal.note = user, timezone.now(), note.strip()
        proposal.save(update_fields=["status", "decided_by", "decided_at", "note"])
        audit_record(
            AuditEvent.Action.APPROVE if approve else AuditEvent.Action.RETURN,
            request=request,
            actor=user,
            obj=proposal,
            after={"status": proposal.status},
            detail=note.strip(),
        )
        if approve:
            before = platform.tier
            platform.tier = proposal.to_tier
            platform.save(update_fields=["tier"])
            audit_record(
                AuditEvent.Action.UPDATE,
                request=request,
                actor=user,
                obj=platform,
                before={"tier": before},
                after={"tier": platform.tier},
                detail=f"进退档：{proposal.reason}（建议 #{proposal.pk}）",
            )
    return proposal


# --- 绩效薪酬池 --------------------------------------------------------------------------------


def parse_amount(text: str) -> Decimal:
    try:
        value = Decimal(str(text).strip().replace(",", ""))
    except InvalidOperation:
        raise Refused(f"金额“{text}”不是有效数字") from None
    if not value.is_finite() or value <= 0:
        raise Refused("薪酬池总额必须为正数（万元）")
    return value


def pay_pool_create(
    run: LeagueRun, total_wan: Decimal, *, user, note: str = "", request=None
) -> PayPool:
    """Split a pool by the scores of a published run (托低、限高; exact to 0.01 万元)."""
    if not run.is_published:
        raise Refused("绩效薪酬池只能依据已发布的批次分配")
    loaded = rules.load_rules()
    results = list(run.results.select_related("platform"))
    try:
        split = rules.pay_pool(
            total_wan, {r.platform_code: r.score for r in results}, loaded.rules.pay_pool
        )
    except Refused as bad:
        raise Refused(str(bad)) from None
    by_code = {r.platform_code: r.platform for r in results}
    with transaction.atomic():
        pool = PayPool.objects.create(
            run=run,
            total_wan=split.total,
            floor_wan=split.floor,
            cap_wan=split.cap,
            rules_version=loaded.rules.version,
            rules_hash=loaded.sha256,
            note=note.strip()[:200],
            created_by=user,
        )
        PayShare.objects.bulk_create(
            [
                PayShare(
                    pool=pool,
                    platform=by_code[s.code],
                    score=s.score,
                    amount_wan=s.amount,
                    at_floor=s.at_floor,
                    at_cap=s.at_cap,
                )
                for s in split.shares
            ]
        )
        audit_record(
            AuditEvent.Action.CREATE,
            request=request,
            actor=user,
            obj=pool,
            after={
                "total": str(split.total),
                "floor": str(split.floor),
                "cap": str(split.cap),
                "shares": {s.code: str(s.amount) for s in split.shares},
            },
        )
    return pool
