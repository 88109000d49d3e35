"""Reads for the league pages, exports and CLI: visible runs, rankings with changes, 约谈 and
top lists, scorecards and the target board."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from django.db.models import QuerySet
from django.http import Http404

from pingtai.accounts.models import User
from pingtai.catalogue import parse_period
from pingtai.engine import Method, evaluate, load_method
from pingtai.engine.explain import improvement_paths
from pingtai.engine.result import EvaluationResult
from pingtai.league import inputs, rules
from pingtai.league.models import LeagueRun, PlatformResult
from pingtai.registry.models import Platform
from pingtai.runs.selectors import current_published

VISIBLE_TO_ALL = (LeagueRun.Status.PUBLISHED, LeagueRun.Status.SUPERSEDED)


def runs_for(user: User) -> QuerySet[LeagueRun]:
    """The city administrator sees previews too; the other officials only published runs; any
    other role none."""
    runs = LeagueRun.objects.all()
    if not user.is_authenticated:
        return runs.none()
    if user.is_city_admin:
        return runs
    if user.role in (User.Role.LEADER, User.Role.PLATFORM, User.Role.DEPARTMENT):
        return runs.filter(status__in=VISIBLE_TO_ALL)
    return runs.none()


def scoped_run(user: User, pk: int) -> LeagueRun:
    try:
        return runs_for(user).get(pk=pk)
    except LeagueRun.DoesNotExist as missing:
        raise Http404("没有找到该批次，或您无权查看") from missing


@lru_cache(maxsize=16)
def method_of(method_id: str) -> Method:
    return load_method(method_id)


@dataclass(frozen=True)
class Column:
    id: str
    name: str
    weight: float


def direction_columns(run: LeagueRun) -> list[Column]:
    seg = method_of(run.method_id).segments["平台"]
    return [Column(p.id, p.name, p.weight) for p in seg.pillars]


def comparator(run: LeagueRun, kind: str) -> LeagueRun | None:
    """The published run of the previous period (环比, quarters only) or of the same period a
    year earlier (同比), with the same cycle and grouping."""
    p = parse_period(run.period_code)
    if kind == "环比":
        if run.cycle != LeagueRun.Cycle.QUARTER:
            return None
        code = p.previous().code
    else:
        code = p.same_period_last_year().code
    return current_published(LeagueRun, cycle=run.cycle, grouping=run.grouping, period_code=code)


@dataclass
class RankRow:
    result: PlatformResult
    platform: Platform
    directions: list[float]
    score_change: dict[str, float | None] = field(default_factory=dict)
    rank_change: dict[str, int | None] = field(default_factory=dict)


@dataclass
class RankGroup:
    label: str
    rows: list[RankRow]


@dataclass
class Ranking:
    run: LeagueRun
    columns: list[Column]
    groups: list[RankGroup]
    comparators: dict[str, LeagueRun | None]


def ranking(run: LeagueRun) -> Ranking:
    loaded = rules.load_rules().rules
    columns = direction_columns(run)
    comps = {kind: comparator(run, kind) for kind in ("同比", "环比")}
    before = {
        kind: {r.platform_code: r for r in other.results.all()} if other else {}
        for kind, other in comps.items()
    }
    results = list(run.results.select_related("platform").order_by("group", "rank_order"))
    order = loaded.groupings.get(run.grouping).labels()
    labels = sorted(
        {r.group for r in results}, key=lambda g: (order.index(g) if g in order else len(order), g)
    )
    groups = []
    for label in labels:
        rows = []
        for r in (x for x in results if x.group == label):
            row = RankRow(r, r.platform, [r.directions.get(c.id, 0.0) for c in columns])
            for kind in comps:
                old = before[kind].get(r.platform_code)
                row.score_change[kind] = None if old is None else r.score - old.score
                # Positive = moved up; only meaningful when the groups are the same.
                row.rank_change[kind] = (
                    None if old is None or old.group != r.group else old.rank - r.rank
                )
            rows.append(row)
        groups.append(RankGroup(label, rows))
    return Ranking(run, columns, groups, comps)


@dataclass(frozen=True)
class ListEntry:
    result: PlatformResult
    reason: str
    robustness: str = ""


def interview_list(run: LeagueRun) -> tuple[list[ListEntry], bool]:
    """Last place(s) of each group, with their robustness; and whether 约谈 applies to this
    cycle (otherwise the list is a warning for 通报点评)."""
    rule = rules.load_rules().rules.interview
    stable = method_of(run.method_id).robustness.stable_probability
    out = []
    for r in run.results.select_related("platform").order_by("group", "rank_order"):
        if r.group_size >= 2 and r.group_size - r.rank_order < rule.places:
            out.append(
                ListEntry(
                    r,
                    f"{r.group}组第 {r.rank_order} / {r.group_size} 名",
                    last_robustness(r, stable),
                )
            )
    return out, run.cycle in rule.cycles


def rank_band(r: PlatformResult) -> str:
    if r.rank_p05 is None or r.rank_p95 is None:
        return "—"
    return f"{r.rank_p05:.0f}—{r.rank_p95:.0f}"


def last_robustness(r: PlatformResult, stable: float) -> str:
    """Is last place robust under the method's weight perturbation?"""
    if r.p_last is None:
        return "未做稳健性分析"
    if r.is_last:
        verdict = "末位稳健" if r.p_last >= stable else "末位不稳健"
    else:
        verdict = "可能末位" if r.p_last > 1 - stable else "非末位"
    return f"{verdict}（权重扰动下末位概率 {r.p_last:.0%}，阈值 {stable:.0%}）"


def top_list(run: LeagueRun) -> list[ListEntry]:
    rule = rules.load_rules().rules.top
    results = list(run.results.select_related("platform").order_by("overall_rank"))
    reasons: dict[str, list[str]] = {}
    for r in results:
        if r.rank_order <= rule.places_per_group:
            reasons.setdefault(r.platform_code, []).append(f"{r.group}组第 {r.rank_order} 名")
        if r.overall_rank <= rule.overall:
            reasons.setdefault(r.platform_code, []).append(f"全市第 {r.overall_rank} 名")
    candidates = [r for r in results if r.platform.level != Platform.Level.NATIONAL][
        : rule.national_recommendation
    ]
    for r in candidates:
        reasons.setdefault(r.platform_code, []).append("优先推荐申报国家级开发区")
    return [
        ListEntry(r, "；".join(reasons[r.platform_code]))
        for r in results
        if r.platform_code in reasons
    ]


# The engine has no unit for counts or US dollars, so the method declares them as "1"; the
# pages show the reported unit instead.
DISPLAY_UNITS = {
    "major_projects": "个",
    "rd_institutions": "个",
    "innovation_complexes": "个",
    "management_bodies": "个",
    "above_scale_enterprises": "个",
    "foreign_capital": "万美元",
}


@dataclass(frozen=True)
class IndicatorLine:
    id: str
    name: str
    unit: str
    direction: str
    pillar: str
    weight: float
    value: float | None
    score: float | None


@dataclass(frozen=True)
class PathLine:
    name: str
    unit: str
    current: float | None
    required: float | None
    change_pct: float | None
    reachable: bool


@dataclass
class Scorecard:
    run: LeagueRun
    result: PlatformResult
    directions: list[tuple[Column, float]]
    indicators: list[IndicatorLine]
    history: list[PlatformResult]
    target: str = ""  # the place to catch up with, e.g. "第 1 名"
    paths: list[PathLine] = field(default_factory=list)


@lru_cache(maxsize=8)
def _scores_only(run_pk: int, snapshot_sha: str, method_id: str) -> EvaluationResult:
    """The run's snapshot evaluated again without robustness draws (same scores), for
    explanations; keyed by the stored snapshot's hash."""
    run = LeagueRun.objects.select_related("input_snapshot").get(pk=run_pk)
    return evaluate(method_of(method_id), inputs.snapshot_frame(bytes(run.input_snapshot.content)))


def catch_up_paths(run: LeagueRun, code: str) -> tuple[str, list[PathLine]]:
    """What it would take to pass the platform one place above in the group: the smallest
    change of one indicator at a time (others and the other platforms unchanged), and the
    equal percentage rise of all indicators together."""
    table = improvement_paths(
        _scores_only(run.pk, run.input_snapshot_id, run.method_id), "rank", [code]
    )
    if table.is_empty():
        return "", []
    lines = []
    # The engine lists the single-indicator rows first and the combined row last.
    for row in table.to_dicts():
        combined = row["path"] == "combined"
        lines.append(
            PathLine(
                row["indicator_name"],
                "%" if combined else DISPLAY_UNITS.get(row["indicator"], row["unit"]),
                row["current_value"],
                row["required_value"],
                row["change_pct"],
                bool(row["reachable"]),
            )
        )
    singles = sorted(
        (p for p in lines[:-1]), key=lambda p: (not p.reachable, abs(p.change_pct or 0), p.name)
    )
    return f"追上组内{table['target'][0]}", [*singles, lines[-1]]


def scorecard(run: LeagueRun, result: PlatformResult) -> Scorecard:
    method = method_of(run.method_id)
    seg = method.segments["平台"]
    pillars = {p.id: p for p in seg.pillars}
    lines = []
    weight_total = {p: sum(i.weight for i in seg.indicators if i.pillar == p) for p in pillars}
    for item in seg.indicators:
        ind = method.indicator(item.indicator)
        v = result.values.get(item.indicator, {})
        pillar = pillars[item.pillar]
        lines.append(
            IndicatorLine(
                item.indicator,
                ind.name,
                DISPLAY_UNITS.get(item.indicator, ind.unit),
                "逆向" if ind.direction == "lower" else "正向",
                pillar.name,
                pillar.weight * item.weight / weight_total[item.pillar],
                v.get("value"),
                v.get("score"),
            )
        )
    history = list(
        PlatformResult.objects.filter(
            platform=result.platform,
            run__cycle=run.cycle,
            run__grouping=run.grouping,
            run__status=LeagueRun.Status.PUBLISHED,
        )
        .select_related("run")
        .order_by("run__year", "run__quarter")
    )
    columns = direction_columns(run)
    target, paths = catch_up_paths(run, result.platform_code)
    return Scorecard(
        run,
        result,
        [(c, result.directions.get(c.id, 0.0)) for c in columns],
        lines,
        history,
        target,
        paths,
    )
