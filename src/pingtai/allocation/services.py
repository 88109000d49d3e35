"""Use cases of 要素差别化配置: pools and demands, allocation runs and their publication,
what-if comparison, project admission checks (标准地), commitments and post-evaluation.

Every change is audited inside its transaction; the maths is ``pingtai.engine.allocate``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_EVEN, Decimal
from functools import cache

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from pydantic import ValidationError

from pingtai.allocation import rules as rulefiles
from pingtai.allocation import runs
from pingtai.allocation.models import (
    AllocationLine,
    AllocationRun,
    PoolDemand,
    PostEvaluation,
    ProjectProposal,
    QuotaPool,
    StandardLandCommitment,
)
from pingtai.audit.models import AuditEvent
from pingtai.audit.services import audit_record
from pingtai.core import terms
from pingtai.core.datafiles import validation_problems
from pingtai.core.refusal import Refused
from pingtai.engine.allocate import (
    AllocationResult,
    InfeasibleRules,
    Recipient,
    Rules,
    allocate,
    compare,
)
from pingtai.engine.version import ENGINE_VERSION
from pingtai.registry.models import Enterprise, EnterpriseYear, Platform
from pingtai.registry.selectors import (
    figures_by_platform,
    holds_synthetic_data,
    platform_system_as_of,
)
from pingtai.reporting.services import store_file
from pingtai.runs import kernel
from pingtai.runs.selectors import current_published
from pingtai.standards import gbt4754
from pingtai.xlsx import Column, write_table_xlsx

FOUR = Decimal("0.0001")
CENT = Decimal("0.01")
BINDING_LABELS = {"cap": "上限", "demand": "申报需求", "floor": "保底", "pool": "总量"}


# ---------------------------------------------------------------------------- pools and demands


@transaction.atomic
def pool_create(
    kind: str, year: int, total: Decimal, *, user, request=None, note: str = ""
) -> QuotaPool:
    unit = rulefiles.POOLS[kind][2]
    if total < 0 or total % unit:
        raise Refused(f"总量须为非负数且为 {unit}{rulefiles.POOLS[kind][1]} 的整数倍")
    if QuotaPool.objects.filter(kind=kind, year=year).exists():
        raise Refused(f"{year}年度{rulefiles.POOLS[kind][0]}指标池已存在")
    pool = QuotaPool.objects.create(kind=kind, year=year, total=total, note=note, created_by=user)
    audit_record(
        AuditEvent.Action.CREATE,
        request=request,
        actor=user,
        obj=pool,
        after={"kind": kind, "year": year, "total": str(total)},
    )
    return pool


@transaction.atomic
def demand_submit(
    pool: QuotaPool,
    platform: Platform,
    demand: Decimal,
    major_demand: Decimal,
    *,
    user,
    request=None,
    note: str = "",
) -> PoolDemand:
    if demand < 0 or major_demand < 0 or major_demand > demand:
        raise Refused("需求须为非负数，且重大产业项目需求不能超过总需求", field="major_demand")
    if pool.runs.filter(
        status=AllocationRun.Status.PUBLISHED, level=AllocationRun.Level.PLATFORM
    ).exists():
        raise Refused("该指标池已发布平台间配置方案，不能再修改需求")
    row = PoolDemand.objects.filter(pool=pool, platform=platform).first()
    before = {"demand": str(row.demand), "major_demand": str(row.major_demand)} if row else None
    row, _ = PoolDemand.objects.update_or_create(
        pool=pool,
        platform=platform,
        defaults={
            "demand": demand,
            "major_demand": major_demand,
            "note": note,
            "submitted_by": user,
        },
    )
    audit_record(
        AuditEvent.Action.UPDATE if before else AuditEvent.Action.CREATE,
        request=request,
        actor=user,
        obj=row,
        before=before,
        after={"demand": str(demand), "major_demand": str(major_demand)},
    )
    return row


# ---------------------------------------------------------------------------- recipients and scores


@dataclass
class Prepared:
    rule_set: rulefiles.RuleSet
    text: str
    digest: str
    amount: Decimal
    recipients: list[Recipient]
    platforms: dict[str, Platform]  # recipient code → platform
    proposals: dict[str, ProjectProposal]
    score_basis: str
    #: the published runs the scores were read from ("mujun"/"league"/"allocation" → run id),
    #: so that a correction of one of them flags this allocation (docs/runs.md)
    basis_runs: dict[str, int] = field(default_factory=dict)


def _ratio_scores(
    raw: dict[str, dict[str, Decimal | None]], weights: dict[str, Decimal]
) -> dict[str, Decimal]:
    """Σ weight × value ÷ mean of that indicator over the recipients that have it."""
    scores = {code: Decimal(0) for code in raw}
    for key, weight in weights.items():
        present = [x for v in raw.values() if (x := v[key]) is not None and x > 0]
        if not present:
            continue
        mean = sum(present, Decimal(0)) / len(present)
        for code, values in raw.items():
            value = values[key]
            if value is not None and value > 0:
                scores[code] += weight * value / mean
    return {code: score.quantize(FOUR, ROUND_HALF_EVEN) for code, score in scores.items()}


def _class_scores(
    data_year: int, points: dict[str, Decimal]
) -> tuple[dict[int, Decimal], str, int]:
    from pingtai.evaluation.models import EnterpriseResult, EvaluationRun

    run = current_published(EvaluationRun, year=data_year)
    if run is None:
        raise Refused(f"没有 {data_year} 年度已发布的亩均评价，无法按评价类别计分")
    land = dict(
        EnterpriseYear.objects.filter(year=data_year).values_list("enterprise_id", "land_mu")
    )
    sums: dict[int, list[Decimal]] = {}
    for enterprise_id, platform_id, klass in EnterpriseResult.objects.filter(run=run).values_list(
        "enterprise_id", "enterprise__platform_id", "klass"
    ):
        if klass not in points:
            continue
        area = land.get(enterprise_id) or Decimal(0)
        total = sums.setdefault(platform_id, [Decimal(0), Decimal(0)])
        total[0] += area * points[klass]
        total[1] += area
    scores = {pid: (s / a).quantize(FOUR, ROUND_HALF_EVEN) for pid, (s, a) in sums.items() if a}
    return (
        scores,
        f"{run.name}（{terms.method_name(run.method_id)}）各类企业按用地加权的类别分值",
        run.pk,
    )


def _league_scores(data_year: int) -> tuple[dict[str, Decimal], str, int]:
    """The platforms' scores in the current year-end assessment of ``data_year``."""
    from pingtai.league.models import LeagueRun

    run = current_published(LeagueRun, cycle=LeagueRun.Cycle.YEAR, year=data_year)
    if run is None:
        raise Refused(f"没有 {data_year} 年度已发布的年终考核，无法按考评结果计分")
    scores = {
        code: Decimal(str(score)).quantize(FOUR, ROUND_HALF_EVEN)
        for code, score in run.results.values_list("platform_code", "score")
    }
    return (
        scores,
        f"{run.name}（{terms.method_name(run.method_id)}）各平台综合得分",
        run.pk,
    )


def _bounds(
    rule_set: rulefiles.RuleSet, amount: Decimal, code: str
) -> tuple[Decimal, Decimal | None]:
    b = rule_set.bounds
    floor = amount * b.floor_share
    cap = amount * b.cap_share if b.cap_share is not None else None
    own = b.recipients.get(code)
    if own is not None:
        floor = own.floor if own.floor is not None else floor
        cap = own.cap if own.cap is not None else cap
    return floor, cap


def _load(rules_ref: str) -> tuple[rulefiles.RuleSet, str, str]:
    try:
        text, digest = rulefiles.read_text(rules_ref)
        return rulefiles.parse(rulefiles.RuleSet, text, rules_ref), text, digest
    except Refused as bad:
        raise Refused(str(bad)) from bad


def published_platform_run(pool: QuotaPool) -> AllocationRun | None:
    return current_published(
        AllocationRun, pool=pool, level=AllocationRun.Level.PLATFORM, platform=None
    )


def _adjusted(rule_set: rulefiles.RuleSet, adjust: dict) -> rulefiles.RuleSet:
    """A what-if variant: another base share or other indicator weights, validated again."""
    data = rule_set.model_dump()
    if adjust.get("base_share") is not None:
        data["base_share"] = adjust["base_share"]
    if adjust.get("weights"):
        data["score"]["indicators"] = adjust["weights"]
    try:
        return rulefiles.RuleSet.model_validate(data)
    except ValidationError as bad:
        problems = "；".join(validation_problems(bad, data))
        raise Refused(f"调整后的规则无效：{problems}") from bad


def allocation_prepare(
    pool: QuotaPool, rules_ref: str, platform: Platform | None = None, adjust: dict | None = None
) -> Prepared:
    rule_set, text, digest = _load(rules_ref)
    if adjust:
        rule_set = _adjusted(rule_set, adjust)
    if rule_set.pool != pool.kind:
        raise Refused(
            f"规则“{rule_set.id}”适用于{rulefiles.POOLS[rule_set.pool][0]}，"
            f"不适用于{rulefiles.POOLS[pool.kind][0]}"
        )
    if (platform is None) != (rule_set.level == "platform"):
        raise Refused(
            "平台间配置须使用平台级规则且不指定平台；项目间配置须使用项目级规则并指定平台"
        )
    if rule_set.level == "platform":
        return _prepare_platforms(pool, rule_set, text, digest)
    return _prepare_projects(pool, rule_set, text, digest, platform)


def _prepare_platforms(pool, rule_set, text, digest) -> Prepared:
    platforms = list(Platform.objects.order_by("code"))
    data_year = pool.year + rule_set.score.data_year_offset
    basis_runs: dict[str, int] = {}
    if rule_set.score.source == "figures":
        figures = figures_by_platform(data_year)
        if not figures:
            raise Refused(f"没有 {data_year} 年度的企业数据，无法计算平台得分")
        raw = {
            p.code: {
                key: getattr(figures[p.id], key) if p.id in figures else None
                for key in rule_set.score.indicators
            }
            for p in platforms
        }
        scores = _ratio_scores(raw, dict(rule_set.score.indicators))
        basis = f"{data_year}年度平台企业数据（总量之比）：" + " + ".join(
            f"{rulefiles.FIGURE_INDICATORS[k]}÷平均值×{w}"
            for k, w in rule_set.score.indicators.items()
        )
    elif rule_set.score.source == "classes":
        by_id, basis, basis_runs["mujun"] = _class_scores(
            data_year, dict(rule_set.score.class_points)
        )
        scores = {p.code: by_id.get(p.id, Decimal(0)) for p in platforms}
    elif rule_set.score.source == "league":
        league, basis, basis_runs["league"] = _league_scores(data_year)
        scores = {p.code: league.get(p.code, Decimal(0)) for p in platforms}
    else:
        raise Refused("平台间配置不能按项目数据计分")
    demands = {d.platform_id: d for d in pool.demands.all()}
    recipients = []
    for p in platforms:
        floor, cap = _bounds(rule_set, pool.total, p.code)
        demand = demands.get(p.id)
        multiplier = (
            rule_set.multipliers.values.get(p.tier, Decimal(1))
            if rule_set.multipliers.by == "tier"
            else Decimal(1)
        )
        recipients.append(
            Recipient(
                code=p.code,
                name=p.name,
                score=scores[p.code],
                multiplier=multiplier,
                floor=floor,
                cap=cap,
                demand=demand.demand if demand else None,
                major_demand=demand.major_demand if demand else Decimal(0),
            )
        )
    return Prepared(
        rule_set,
        text,
        digest,
        pool.total,
        recipients,
        {p.code: p for p in platforms},
        {},
        basis,
        basis_runs,
    )


def _proposal_figures(p: ProjectProposal) -> dict[str, Decimal | None]:
    per_mu = (lambda v: v / p.land_mu) if p.land_mu else (lambda v: None)
    return {
        "tax_per_mu": per_mu(p.expected_tax_wan),
        "investment_intensity": per_mu(p.investment_wan),
        "value_added_per_mu": per_mu(p.expected_value_added_wan),
    }


def _prepare_projects(pool, rule_set, text, digest, platform) -> Prepared:
    parent = published_platform_run(pool)
    line = parent.lines.filter(platform=platform).first() if parent else None
    if parent is None or line is None:
        raise Refused(f"{pool}尚无已发布的平台间配置方案，无法在「{platform.name}」内部分配")
    proposals = [
        p
        for p in ProjectProposal.objects.filter(
            platform=platform, year=pool.year, status=ProjectProposal.Status.PASSED
        ).order_by("code")
        if p.request_for(pool.kind) > 0
    ]
    if not proposals:
        raise Refused(f"「{platform.name}」{pool.year}年度没有通过准入且申请该指标的项目")
    scores = _ratio_scores(
        {p.code: _proposal_figures(p) for p in proposals}, dict(rule_set.score.indicators)
    )
    values = rule_set.multipliers.values
    recipients = []
    for p in proposals:
        floor, cap = _bounds(rule_set, line.amount, p.code)
        multiplier = (
            values.get("major" if p.major else "normal", Decimal(1))
            if rule_set.multipliers.by == "major"
            else Decimal(1)
        )
        request = p.request_for(pool.kind)
        recipients.append(
            Recipient(
                code=p.code,
                name=p.name,
                score=scores[p.code],
                multiplier=multiplier,
                floor=floor,
                cap=cap,
                demand=request,
                major_demand=request if p.major else Decimal(0),
            )
        )
    basis = (
        "项目承诺数据："
        + " + ".join(
            f"{rulefiles.PROPOSAL_INDICATORS[k]}÷平均值×{w}"
            for k, w in rule_set.score.indicators.items()
        )
        + f"；平台分得量取{parent.name}"
    )
    return Prepared(
        rule_set,
        text,
        digest,
        line.amount,
        recipients,
        {p.code: platform for p in proposals},
        {p.code: p for p in proposals},
        basis,
        {"allocation": parent.pk},
    )


def _engine_rules(rule_set: rulefiles.RuleSet) -> Rules:
    return Rules(
        base_share=rule_set.base_share,
        unit=rule_set.unit,
        reserve_share=rule_set.reserve_major_share,
        allocate_all=rule_set.allocate_all,
        unit_name=rule_set.unit_name,
    )


def allocation_compute(
    pool: QuotaPool, rules_ref: str, platform: Platform | None = None, adjust: dict | None = None
) -> tuple[Prepared, AllocationResult]:
    """Compute without storing; InfeasibleRules becomes Refused listing the conflicts."""
    prepared = allocation_prepare(pool, rules_ref, platform, adjust)
    try:
        result = allocate(prepared.amount, prepared.recipients, _engine_rules(prepared.rule_set))
    except InfeasibleRules as refused:
        raise Refused(str(refused)) from refused
    return prepared, result


def allocation_run(
    pool: QuotaPool, rules_ref: str, *, user, platform: Platform | None = None, request=None
) -> AllocationRun:
    prepared, result = allocation_compute(pool, rules_ref, platform)
    return allocation_save(pool, prepared, result, user=user, platform=platform, request=request)


@transaction.atomic
def allocation_save(
    pool: QuotaPool,
    prepared: Prepared,
    result: AllocationResult,
    *,
    user,
    platform: Platform | None = None,
    request=None,
) -> AllocationRun:
    """Freeze a computed allocation as a preview run (inputs and result stored as files)."""
    rs = prepared.rule_set
    snapshot = runs.snapshot_bytes(prepared.amount, prepared.recipients, _engine_rules(rs))
    frozen_result = runs.result_bytes(result)
    run = AllocationRun.objects.create(
        engine_version=ENGINE_VERSION,
        input_snapshot=store_file(snapshot),
        input_hash=hashlib.sha256(snapshot).hexdigest(),
        result=store_file(frozen_result),
        result_hash=hashlib.sha256(frozen_result).hexdigest(),
        provenance={"basis_runs": prepared.basis_runs},
        pool=pool,
        level=rs.level,
        platform=platform,
        amount=prepared.amount,
        rules_id=rs.id,
        rules_version=rs.version,
        rules_hash=prepared.digest,
        rules_text=prepared.text,
        score_basis=prepared.score_basis[:300],
        reserve=result.reserve,
        reserve_used=result.reserve_used,
        allocated=result.allocated,
        surplus=result.surplus,
        solver=result.solver,
        notes=result.notes,
        created_by=user,
    )
    AllocationLine.objects.bulk_create(
        [
            AllocationLine(
                run=run,
                platform=prepared.platforms[s.recipient.code],
                proposal=prepared.proposals.get(s.recipient.code),
                code=s.recipient.code,
                name=s.recipient.name,
                score=s.recipient.score,
                multiplier=s.recipient.multiplier,
                floor=s.lower,
                cap=s.upper,
                demand=s.recipient.demand,
                ideal=s.ideal,
                amount=s.amount,
                binding="、".join(BINDING_LABELS[b] for b in s.binding),
                explanation=[
                    {"rule": line.rule, "label": line.label, "amount": str(line.amount)}
                    for line in s.lines
                ],
            )
            for s in result.shares
        ]
    )
    audit_record(
        AuditEvent.Action.CREATE,
        request=request,
        actor=user,
        obj=run,
        after={
            "rules": f"{rs.id} v{rs.version}",
            "rules_hash": prepared.digest,
            "allocated": str(result.allocated),
            "surplus": str(result.surplus),
        },
    )
    return run


def allocation_publish(
    run: AllocationRun,
    *,
    user,
    supersede: int | AllocationRun | None = None,
    reason: str = "",
    request=None,
) -> AllocationRun:
    """Publish through the run kernel: one current allocation per pool, level and platform;
    a published allocation is replaced only by naming it in ``supersede`` with a ``reason``."""
    return kernel.publish(run, user=user, supersede=supersede, reason=reason, request=request)


@dataclass(frozen=True)
class ComparisonLine:
    code: str
    name: str
    amount_a: Decimal | None
    amount_b: Decimal | None
    difference: Decimal
    percent: Decimal | None
    explain_a: str
    explain_b: str


def explain_text(lines: list[dict] | list) -> str:
    parts = []
    for line in lines:
        label, amount = (
            (line["label"], Decimal(line["amount"]))
            if isinstance(line, dict)
            else (line.label, line.amount)
        )
        if amount:
            parts.append(f"{label} {amount:+f}")
    return "；".join(parts)


def allocation_compare(
    pool: QuotaPool,
    rules_a: str,
    rules_b: str,
    platform: Platform | None = None,
    adjust_b: dict | None = None,
) -> tuple[list[ComparisonLine], list[AllocationResult]]:
    """What-if: the same pool under two rule sets, or under one rule set with B's base share or
    indicator weights adjusted (``adjust_b``: base_share, weights)."""
    results = [
        allocation_compute(pool, rules_a, platform)[1],
        allocation_compute(pool, rules_b, platform, adjust_b)[1],
    ]
    by_code = [r.by_code() for r in results]
    rows = []
    for row in compare(*results):
        explain = [
            explain_text(side[row.code].lines) if row.code in side else "" for side in by_code
        ]
        rows.append(
            ComparisonLine(
                row.code,
                row.name,
                row.amount_a,
                row.amount_b,
                row.difference,
                row.percent,
                *explain,
            )
        )
    return rows, results


def run_xlsx(run: AllocationRun, lines) -> bytes:
    """The run's lines as the run page shows them: score, coefficient and ideal share to four
    decimals, bounds to two, the amount in the pool's own step (亩 0.01, 吨标煤 1); the rule by
    its title, never its file id."""
    _, unit, step = rulefiles.POOLS[run.pool.kind]
    exponent = step.as_tuple().exponent
    amount_places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    bound = Column("", unit=unit, kind="decimal")
    headers: list[Column | str] = [
        Column("代码", kind="code"),
        Column("名称", kind="name"),
        Column("得分", unit="分", kind="decimal", decimals=4),
        Column("系数", kind="decimal", decimals=4),
        replace(bound, header="保底"),
        replace(bound, header="上限"),
        replace(bound, header="申报需求"),
        Column("规则理想份额", unit=unit, kind="decimal", decimals=4),
        Column("配置量", unit=unit, kind="decimal", decimals=amount_places),
        "生效约束",
        Column("逐项说明", kind="text"),
        Column("规则", kind="text"),
        "状态",
    ]
    rule = f"{terms.rule_name(run.rules_id)}（第 {run.rules_version} 版）"
    rows = [
        [
            line.code,
            line.name,
            line.score,
            line.multiplier,
            line.floor,
            line.cap,
            line.demand,
            line.ideal,
            line.amount,
            line.binding,
            explain_text(line.explanation),
            rule,
            run.get_status_display(),
        ]
        for line in lines
    ]
    return write_table_xlsx(
        headers,
        rows,
        sheet_name="要素配置",
        title=run_title(run),
        demo=holds_synthetic_data(),
    )


def run_title(run: AllocationRun) -> str:
    """2025年度新增建设用地指标平台间配置结果（预览）: the title of its workbook and file."""
    name = rulefiles.POOLS[run.pool.kind][0]
    scope = run.platform.short_name if run.platform is not None else ""
    level = run.get_level_display()
    return f"{run.pool.year}年度{scope}{name}{level}配置结果（{run.get_status_display()}）"


def compare_xlsx(rows: list[ComparisonLine], rules_a: str, rules_b: str, unit: str) -> bytes:
    headers: list[Column | str] = [
        Column("代码", kind="code"),
        Column("名称", kind="name"),
        f"{rules_a}（{unit}）",
        f"{rules_b}（{unit}）",
        f"差额（{unit}）",
        "差额比例（%）",
        f"{rules_a} 说明",
        f"{rules_b} 说明",
    ]
    return write_table_xlsx(
        headers,
        [
            [
                r.code,
                r.name,
                r.amount_a,
                r.amount_b,
                r.difference,
                r.percent,
                r.explain_a,
                r.explain_b,
            ]
            for r in rows
        ],
        sheet_name="方案比较",
        title=f"配置规则比较：{rules_a} 与 {rules_b}",
        demo=holds_synthetic_data(),
    )


# ---------------------------------------------------------------------------- project admission


@transaction.atomic
def proposal_create(data: dict, *, platform: Platform, user, request=None) -> ProjectProposal:
    try:
        data["industry_code"] = "".join(gbt4754.normalise(data["industry_code"]))
    except ValueError as bad:
        raise Refused(str(bad)) from bad
    if data.get("enterprise") is not None and data["enterprise"].platform_id != platform.id:
        raise Refused("实施企业须为本平台企业")
    prefix = f"XM{data['year']}-{platform.code}-"
    count = ProjectProposal.objects.filter(code__startswith=prefix).count()
    proposal = ProjectProposal.objects.create(
        code=f"{prefix}{count + 1:03d}",
        platform=platform,
        submitted_by=user,
        status=ProjectProposal.Status.SUBMITTED,
        **data,
    )
    audit_record(
        AuditEvent.Action.CREATE,
        request=request,
        actor=user,
        obj=proposal,
        after={
            "platform": platform.code,
            "land_mu": str(proposal.land_mu),
            "investment_wan": str(proposal.investment_wan),
        },
    )
    return proposal


@cache
def _industry_chains() -> dict[str, str]:
    """GB/T 4754 小类 → city chain code, from the registry's industry table."""
    from pingtai.data.lishui.registry import load_registry

    links = {link.code: chain.code for chain in load_registry().chains for link in chain.links}
    return {
        i.code: links[i.chain_link_code]
        for i in load_registry().industries
        if i.chain_link_code in links
    }


@cache
def _leading_codes() -> dict[str, frozenset[str]]:
    from pingtai.data.lishui.registry import load_registry

    return {
        code: frozenset(c for group in groups for c in group)
        for code, groups in load_registry().leading_codes.items()
    }


INDUSTRIAL_SECTIONS = {"B", "C", "D"}  # 采矿业、制造业、电力热力燃气及水生产和供应业


def _item(
    key: str,
    label: str,
    ok: bool,
    reason: str,
    value=None,
    threshold=None,
    unit: str = "",
    assumed: bool = False,
) -> dict:
    return {
        "key": key,
        "label": label,
        "ok": ok,
        "reason": reason,
        "unit": unit,
        "assumed": assumed,
        "value": None if value is None else str(value),
        "threshold": None if threshold is None else str(threshold),
    }


def _land_items(p: ProjectProposal) -> list[dict]:
    items = []
    section = gbt4754.normalise(p.industry_code)[0]
    if p.land_source == p.LandSource.NEW and p.land_use == p.LandUse.INDUSTRIAL:
        zone = p.location_zone
        if zone is None:
            items.append(
                _item(
                    "inside_platform",
                    "新增工业用地位于整合平台内",
                    True,
                    f"地块按申报位于「{p.platform.name}」现有范围内",
                )
            )
        else:
            owner = platform_system_as_of(p.proposal_date).platform_of(zone.code)
            ok = owner is not None and owner.pk == p.platform_id
            reason = (
                f"地块所在「{zone.name}」于 {p.proposal_date} 已并入「{owner.name}」"
                if owner is not None
                else f"地块所在「{zone.name}」于 {p.proposal_date} 未并入任何整合后的平台"
            )
            if owner is not None and not ok:
                reason += f"，不属于申报平台「{p.platform.name}」"
            if not ok:
                reason += "；整合后的开发区以外不再新增工业建设用地（§四(七)）"
            items.append(_item("inside_platform", "新增工业用地位于整合平台内", ok, reason))
    if p.land_source == p.LandSource.STOCK_INDUSTRIAL:
        ok = p.land_use == p.LandUse.INDUSTRIAL and section in INDUSTRIAL_SECTIONS
        items.append(
            _item(
                "stock_for_industry",
                "存量工业用地用于工业",
                ok,
                "用途为工业，行业属工业门类"
                if ok
                else f"行业门类 {section}、用地性质“{p.get_land_use_display()}”：存量工业用地盘活须全部用于工业（§四(七)）",
            )
        )
    return items


def _measure(key, label, value, threshold, unit, lower_bound: bool, assumed: bool) -> dict:
    if threshold is None:
        return _item(key, label, True, "该平台和行业未设此项控制指标", value, None, unit)
    if value is None:
        return _item(key, label, False, "缺少计算所需数据", None, threshold, unit, assumed)
    ok = value >= threshold if lower_bound else value <= threshold
    word = "不低于" if lower_bound else "不高于"
    # the project's value and its limit written alike (0.2000 beside 0.5000, not 0.50)
    places = max(_places(value), _places(threshold))
    value, threshold = (Decimal(x).quantize(Decimal(1).scaleb(-places)) for x in (value, threshold))
    reason = f"{value}{unit}，{'符合' if ok else '不符合'}{word} {threshold}{unit} 的要求"
    return _item(key, label, ok, reason, value, threshold, unit, assumed)


def _places(number) -> int:
    exponent = Decimal(str(number)).as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def admission_items(
    p: ProjectProposal, admission: rulefiles.AdmissionRules
) -> tuple[list[dict], list[str]]:
    code = "".join(gbt4754.normalise(p.industry_code))
    t, applied = admission.thresholds_for(p.platform.code, p.platform.tier, code)
    assumed = bool(admission.assumed)
    items = _land_items(p)
    per_mu = p.land_mu > 0

    def ratio(num: Decimal, den: Decimal, q: Decimal) -> Decimal | None:
        return (num / den).quantize(q, ROUND_HALF_EVEN) if den > 0 else None

    if per_mu:
        items.append(
            _measure(
                "investment_intensity",
                "固定资产投资强度",
                ratio(p.investment_wan, p.land_mu, CENT),
                t.investment_intensity_min,
                "万元/亩",
                True,
                assumed,
            )
        )
        items.append(
            _measure(
                "floor_area_ratio",
                "容积率",
                p.floor_area_ratio,
                t.floor_area_ratio_min,
                "",
                True,
                assumed,
            )
        )
        items.append(
            _measure(
                "tax_per_mu",
                "达产亩均税收",
                ratio(p.expected_tax_wan, p.land_mu, CENT),
                t.tax_per_mu_min,
                "万元/亩",
                True,
                assumed,
            )
        )
    items.append(
        _measure(
            "energy_per_value_added",
            "单位增加值能耗",
            ratio(p.energy_tce, p.expected_value_added_wan, FOUR),
            t.energy_per_value_added_max,
            "吨标煤/万元",
            False,
            assumed,
        )
    )
    items.append(
        _measure(
            "emission_per_value_added",
            "单位增加值排放",
            ratio(p.emission_t, p.expected_value_added_wan, FOUR),
            t.emission_per_value_added_max,
            "吨/万元",
            False,
            assumed,
        )
    )
    if t.require_leading_industry:
        platform_codes = _leading_codes().get(p.platform.code, frozenset())
        chain = _industry_chains().get(code)
        chains = set(
            p.platform.leading_industries.exclude(chain=None).values_list("chain_id", flat=True)
        )
        names = "、".join(p.platform.leading_industries.values_list("name", flat=True))
        if code in platform_codes:
            ok, reason = True, f"行业 {code} 属本平台主导产业（{names}）"
        elif chain is not None and chain in chains:
            ok, reason = True, f"行业 {code} 属本平台主导产业对应的全市产业链"
        else:
            ok, reason = False, f"行业 {code} 不属于本平台主导产业（{names}）及其产业链"
        items.append(
            _item("leading_industry", "契合平台主导产业", ok, reason, code, None, "", assumed)
        )
    return items, applied


@transaction.atomic
def admission_check(
    p: ProjectProposal, *, user, request=None, rules_ref: str = "admission-default"
) -> ProjectProposal:
    try:
        admission = rulefiles.load_admission(rules_ref)
    except Refused as bad:
        raise Refused(str(bad)) from bad
    if hasattr(p, "commitment"):
        raise Refused("该项目已签订标准地承诺，不再重新审查")
    before = p.status
    items, applied = admission_items(p, admission)
    if applied:
        items.append(_item("applied", "适用的控制指标调整", True, "；".join(applied)))
    p.check_result = items
    p.status = (
        ProjectProposal.Status.PASSED
        if all(i["ok"] for i in items)
        else ProjectProposal.Status.FAILED
    )
    p.thresholds_id, p.thresholds_version, p.checked_at = (
        admission.id,
        admission.version,
        timezone.now(),
    )
    p.save(
        update_fields=[
            "check_result",
            "status",
            "thresholds_id",
            "thresholds_version",
            "checked_at",
        ]
    )
    audit_record(
        AuditEvent.Action.APPROVE if p.status == p.Status.PASSED else AuditEvent.Action.RETURN,
        request=request,
        actor=user,
        obj=p,
        before={"status": before},
        after={"status": p.status, "failed": [i["key"] for i in items if not i["ok"]]},
        detail=f"准入审查 {admission.id} v{admission.version}",
    )
    return p


def proposals_xlsx(proposals) -> bytes:
    headers: list[Column | str] = [
        Column("项目编号", kind="code"),
        Column("项目名称", kind="name"),
        "平台",
        Column("年度", kind="code"),
        "用地来源",
        Column("用地", unit="亩", kind="decimal"),
        Column("投资", unit="万元", kind="decimal"),
        Column("行业代码", kind="code"),
        "重大产业项目",
        "状态",
        "未通过事项",
    ]
    rows = [
        [
            p.code,
            p.name,
            p.platform.name,
            p.year,
            p.get_land_source_display(),
            p.land_mu,
            p.investment_wan,
            p.industry_code,
            "是" if p.major else "否",
            p.get_status_display(),
            "；".join(f"{i['label']}：{i['reason']}" for i in p.check_result if not i["ok"]),
        ]
        for p in proposals
    ]
    return write_table_xlsx(headers, rows, sheet_name="项目准入", title="项目准入（标准地）清单")


# ---------------------------------------------------------------------------- 标准地 and 后评估


@transaction.atomic
def commitment_create(
    p: ProjectProposal,
    agreement_no: str,
    signed_on: dt.date,
    due_on: dt.date,
    *,
    user,
    request=None,
) -> StandardLandCommitment:
    if p.status != ProjectProposal.Status.PASSED:
        raise Refused("只有准入审查通过的项目才能登记标准地承诺")
    if p.land_mu <= 0 or p.expected_value_added_wan <= 0:
        raise Refused("项目用地面积和达产增加值须大于零")
    if due_on <= signed_on:
        raise Refused("达产复核日期须晚于签订日期")
    if hasattr(p, "commitment"):
        raise Refused("该项目已登记标准地承诺")
    c = StandardLandCommitment.objects.create(
        proposal=p,
        agreement_no=agreement_no,
        signed_on=signed_on,
        due_on=due_on,
        investment_intensity=(p.investment_wan / p.land_mu).quantize(CENT),
        floor_area_ratio=p.floor_area_ratio,
        tax_per_mu=(p.expected_tax_wan / p.land_mu).quantize(CENT),
        energy_per_value_added=(p.energy_tce / p.expected_value_added_wan).quantize(FOUR),
        emission_per_value_added=(p.emission_t / p.expected_value_added_wan).quantize(FOUR),
        created_by=user,
    )
    audit_record(
        AuditEvent.Action.CREATE,
        request=request,
        actor=user,
        obj=c,
        after={
            "due_on": str(due_on),
            "tax_per_mu": str(c.tax_per_mu),
            "investment_intensity": str(c.investment_intensity),
        },
    )
    return c


def _shortfall(committed: Decimal, actual: Decimal | None, lower_bound: bool) -> Decimal | None:
    if actual is None:
        return None
    gap = committed - actual if lower_bound else actual - committed
    return (max(gap, Decimal(0)) * 100 / committed).quantize(CENT) if committed else Decimal(0)


@transaction.atomic
def post_evaluation_run(
    c: StandardLandCommitment,
    *,
    user,
    request=None,
    on: dt.date | None = None,
    data_year: int | None = None,
    actual_investment_wan: Decimal | None = None,
    actual_floor_area_ratio: Decimal | None = None,
    rules_ref: str = "post-evaluation-default",
) -> PostEvaluation:
    try:
        rules = rulefiles.load_post_evaluation(rules_ref)
    except Refused as bad:
        raise Refused(str(bad)) from bad
    on = on or timezone.localdate()
    if on < c.due_on:
        raise Refused(f"未到约定达产复核日期 {c.due_on}")
    p = c.proposal
    if p.enterprise_id is None:
        raise Refused("项目未关联实施企业，无法取得实际数据")
    years = EnterpriseYear.objects.filter(enterprise_id=p.enterprise_id)
    if data_year is None:
        data_year = years.filter(year__lte=c.due_on.year).aggregate(y=Max("year"))["y"]
    row = years.filter(year=data_year).first() if data_year else None
    if row is None:
        name = p.enterprise.name if p.enterprise is not None else ""
        raise Refused(f"企业「{name}」没有 {data_year or '复核期'} 年度的报送数据")

    def per(num: Decimal, den: Decimal, q: Decimal) -> Decimal | None:
        return (num / den).quantize(q, ROUND_HALF_EVEN) if den > 0 else None

    measures = [
        (
            "investment_intensity",
            "固定资产投资强度",
            "万元/亩",
            c.investment_intensity,
            per(actual_investment_wan, p.land_mu, CENT)
            if actual_investment_wan is not None
            else None,
            True,
            "核实固定资产投资 ÷ 出让面积",
        ),
        (
            "floor_area_ratio",
            "容积率",
            "",
            c.floor_area_ratio,
            actual_floor_area_ratio,
            True,
            "现场核实",
        ),
        (
            "tax_per_mu",
            "亩均税收",
            "万元/亩",
            c.tax_per_mu,
            per(row.tax_wan, row.land_mu, CENT),
            True,
            f"{data_year}年度实缴税金 ÷ 用地面积",
        ),
        (
            "energy_per_value_added",
            "单位增加值能耗",
            "吨标煤/万元",
            c.energy_per_value_added,
            per(row.energy_tce, row.value_added_wan, FOUR),
            False,
            f"{data_year}年度综合能耗 ÷ 工业增加值",
        ),
        (
            "emission_per_value_added",
            "单位增加值排放",
            "吨/万元",
            c.emission_per_value_added,
            per(row.emission_t, row.value_added_wan, FOUR),
            False,
            f"{data_year}年度排放 ÷ 工业增加值",
        ),
    ]
    items = []
    for key, label, unit, committed, actual, lower_bound, basis in measures:
        pct = _shortfall(committed, actual, lower_bound)
        if pct is None:
            status, consequence = "unverified", "未提供核实值，不能确认达标"
        elif pct <= rules.tolerance_pct:
            status, consequence = "met", ""
        else:
            status, consequence = "short", rules.consequence_for(pct)
        items.append(
            {
                "key": key,
                "label": label,
                "unit": unit,
                "committed": str(committed),
                "actual": None if actual is None else str(actual),
                "shortfall_pct": None if pct is None else str(pct),
                "status": status,
                "consequence": consequence,
                "basis": basis,
                "lower_bound": lower_bound,
            }
        )
    evaluation = PostEvaluation.objects.create(
        commitment=c,
        data_year=data_year,
        actual_investment_wan=actual_investment_wan,
        actual_floor_area_ratio=actual_floor_area_ratio,
        items=items,
        met=all(i["status"] == "met" for i in items),
        rules_id=rules.id,
        rules_version=rules.version,
        created_by=user,
    )
    audit_record(
        AuditEvent.Action.CREATE,
        request=request,
        actor=user,
        obj=evaluation,
        after={"met": evaluation.met, "short": [i["key"] for i in items if i["status"] == "short"]},
    )
    return evaluation


STATUS_LABELS = {"met": "达标", "short": "未达标", "unverified": "待核实"}


def shortfalls_xlsx(evaluations) -> bytes:
    headers: list[Column | str] = [
        Column("协议编号", kind="code"),
        "项目",
        "平台",
        "实施企业",
        "数据年度",
        "指标",
        "承诺值",
        "实际值",
        "差额比例（%）",
        "结论",
        "处理",
    ]
    rows = []
    for e in evaluations:
        p = e.commitment.proposal
        for i in e.items:
            if i["status"] == "met":
                continue
            rows.append(
                [
                    e.commitment.agreement_no,
                    p.name,
                    p.platform.name,
                    p.enterprise.name if p.enterprise_id else "",
                    e.data_year,
                    f"{i['label']}（{i['unit']}）" if i["unit"] else i["label"],
                    i["committed"],
                    i["actual"],
                    i["shortfall_pct"],
                    STATUS_LABELS[i["status"]],
                    i["consequence"],
                ]
            )
    return write_table_xlsx(
        headers, rows, sheet_name="达产复核差额", title="标准地项目达产复核未达标事项"
    )


def enterprise_for_link(platform: Platform, uscc: str) -> Enterprise | None:
    return Enterprise.objects.filter(platform=platform, uscc=uscc.strip().upper()).first()
