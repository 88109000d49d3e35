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
from pingtai.engine.explain import smallest_change_set
from pingtai.engine.result import EvaluationResult
from pingtai.league import decisions, inputs, rules
from pingtai.league.models import LeagueRun, PlatformResult, TieDecision
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
    pending: bool = False  # a tie decides this place; the run asks for a decision


def standings(run: LeagueRun) -> tuple[list[decisions.Standing], dict[str, PlatformResult]]:
    results = list(run.results.select_related("platform"))
    reported = set((run.provenance or {}).get("reported", {}))
    # Runs made before provenance listed the approved reports count every platform as reported.
    check_reported = "reported" in (run.provenance or {})
    rows = [
        decisions.Standing(
            r.platform_code,
            r.platform.short_name,
            r.group,
            r.score,
            r.klass,
            national=r.platform.level == Platform.Level.NATIONAL,
            reported=(r.platform_code in reported) if check_reported else True,
        )
        for r in results
    ]
    return rows, {r.platform_code: r for r in results}


def run_decisions(run: LeagueRun) -> decisions.Decisions:
    """The run's 约谈/末位 and 前列 lists by the rules file, with their basis and warnings."""
    loaded = rules.load_rules().rules
    rows, _ = standings(run)
    seg = method_of(run.method_id).segments[inputs.SEGMENT]
    class_order = [b.class_ for b in seg.class_rules().bands]
    return decisions.decide(
        rows, loaded.interview, loaded.top, run.cycle, class_order, rulings=rulings(run)
    )


def rulings(run: LeagueRun) -> dict[str, decisions.Ruling]:
    """The recorded decisions of the run's ties, by place key."""
    return {
        d.place: decisions.Ruling(tuple(d.platforms), d.reason)
        for d in TieDecision.objects.filter(run=run)
    }


def interview_applies(run: LeagueRun) -> bool:
    return run.cycle in rules.load_rules().rules.interview.cycles


def interview_list(run: LeagueRun) -> tuple[list[ListEntry], bool]:
    """The 约谈 list (year-end) or 末位预警 (other cycles), with each entry's robustness; and
    whether 约谈 applies to this cycle."""
    stable = method_of(run.method_id).robustness.stable_probability
    _, by_code = standings(run)
    found = run_decisions(run)
    out = [
        ListEntry(by_code[e.code], e.reason, last_robustness(by_code[e.code], stable), e.pending)
        for e in found.interview
    ]
    return out, interview_applies(run)


def list_names(run: LeagueRun) -> tuple[str, str]:
    """The names of the two lists as every page, document and the CLI print them."""
    return ("约谈名单" if interview_applies(run) else "末位预警"), "前列名单"


def rank_band(r: PlatformResult) -> str:
    if r.rank_p05 is None or r.rank_p95 is None:
        return "—"
    return f"{r.rank_p05:.0f}—{r.rank_p95:.0f}"


def last_robustness(r: PlatformResult, stable: float) -> str:
    """Is last place in the group robust under the method's weight perturbation?"""
    if r.p_last is None:
        return "未做稳健性分析"
    if r.group_size < rules.load_rules().rules.interview.min_group_for_last:
        return f"小组不按组内末位认定（组内末位概率 {r.p_last:.0%} 仅供参考）"
    if r.is_last:
        verdict = "末位稳健" if r.p_last >= stable else "末位不稳健"
    else:
        verdict = "可能末位" if r.p_last > 1 - stable else "非末位"
    return f"{verdict}（权重扰动下末位概率 {r.p_last:.0%}，阈值 {stable:.0%}）"


def top_list(run: LeagueRun) -> list[ListEntry]:
    _, by_code = standings(run)
    return [ListEntry(by_code[e.code], e.reason, pending=e.pending) for e in run_decisions(run).top]


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
class ChangeLine:
    name: str
    unit: str
    direction: str  # 提高 / 降低
    current: float | None
    required: float
    change_pct: float | None
    gain: float  # points
    full_marks: bool


@dataclass(frozen=True)
class Plan:
    """What it takes to reach one goal (the next grade, or the next place in the group)."""

    title: str  # e.g. "升至良好（80 分）"
    goal: float
    reachable: bool
    changes: list[ChangeLine]
    explanation: str  # in plain words: what is needed, or why nothing will do


@dataclass
class Scorecard:
    run: LeagueRun
    result: PlatformResult
    directions: list[tuple[Column, float]]
    indicators: list[IndicatorLine]
    history: list[PlatformResult]
    plans: list[Plan] = field(default_factory=list)
    headroom: list[tuple[str, float]] = field(default_factory=list)  # name, most points


@lru_cache(maxsize=8)
def _scores_only(run_pk: int, snapshot_sha: str, method_id: str) -> EvaluationResult:
    """The run's snapshot evaluated again without robustness draws (same scores), for
    explanations; keyed by the stored snapshot's hash."""
    run = LeagueRun.objects.select_related("input_snapshot").get(pk=run_pk)
    return evaluate(method_of(method_id), inputs.snapshot_frame(bytes(run.input_snapshot.content)))


def _goals(run: LeagueRun, result: PlatformResult) -> list[tuple[str, float]]:
    """The next grade's floor and the next better score in the group (places are shared by
    equal scores, so the goal is a score, never a position in a list)."""
    goals = []
    bands = method_of(run.method_id).segments[inputs.SEGMENT].class_rules().bands
    names = [b.class_ for b in bands]
    if result.klass in names and names.index(result.klass) > 0:
        better = bands[names.index(result.klass) - 1]
        if better.min_score is not None:  # every band but the last has one (method check)
            goals.append((f"升至{better.class_}（{better.min_score:g} 分）", better.min_score))
    above = sorted(
        {
            r.score
            for r in run.results.filter(group=result.group, score__gt=result.score).only("score")
        }
    )
    if above:
        place = run.results.filter(group=result.group, score__gt=above[0]).count() + 1
        goals.append((f"追上组内第 {place} 名（{above[0]:.2f} 分）", above[0]))
    return goals


def catch_up_plans(run: LeagueRun, result: PlatformResult) -> tuple[list[Plan], list]:
    """For the next grade and the next place: the smallest set of indicator changes that gets
    there under the method in force (weights, each indicator's 60 %–100 % range, the other
    platforms unchanged), or a plain statement that none does and why."""
    evaluated = _scores_only(run.pk, run.input_snapshot_id, run.method_id)
    code = result.platform_code
    method = method_of(run.method_id)
    plans = []
    headroom: list[tuple[str, float]] = []
    for title, goal in _goals(run, result):
        found = smallest_change_set(evaluated, code, goal)
        headroom = [(method.indicator(i).name, g) for i, g in found.headroom]
        gap = goal - found.score
        if not found.reachable:
            explanation = (
                f"差距 {gap:.2f} 分；即使全部 {len(found.headroom)} 项指标都达到全市最好水平"
                f"（单项最多得满分），综合得分最多 {found.best_score:.2f} 分，仍达不到 {goal:.2f} 分。"
                "在其他平台不变时本期没有可行的路径。"
            )
            plans.append(Plan(title, goal, False, [], explanation))
            continue
        lines = [
            ChangeLine(
                c.name,
                DISPLAY_UNITS.get(c.indicator, c.unit),
                "降低" if c.direction == "lower" else "提高",
                c.current,
                c.required,
                c.change_pct,
                c.gain,
                c.full_marks,
            )
            for c in found.changes
        ]
        explanation = (
            f"差距 {gap:.2f} 分；至少需要改进 {len(lines)} 项指标"
            + ("（单项最多得满分，一项不够）" if len(lines) > 1 else "")
            + "：按下表同时达到即可，其他指标和其他平台不变。"
        )
        plans.append(Plan(title, goal, True, lines, explanation))
    return plans, headroom


def scorecard(run: LeagueRun, result: PlatformResult) -> Scorecard:
    method = method_of(run.method_id)
    seg = method.segments["平台"]
    pillars = {p.id: p for p in seg.pillars}
    # A league method weighs every platform indicator with a fixed weight inside a pillar
    # (docs/league.md); the method loader checks both, so a gap here is a broken method file.
    weighted = []
    for item in seg.indicators:
        if item.pillar is None or item.weight is None:
            raise ValueError(f"{method.id}：平台指标 {item.indicator} 缺少所属维度或固定权重")
        weighted.append((item, item.pillar, item.weight))
    lines = []
    weight_total = {p: sum(w for _, q, w in weighted if q == p) for p in pillars}
    for item, pillar_id, weight in weighted:
        ind = method.indicator(item.indicator)
        v = result.values.get(item.indicator, {})
        pillar = pillars[pillar_id]
        lines.append(
            IndicatorLine(
                item.indicator,
                ind.name,
                DISPLAY_UNITS.get(item.indicator, ind.unit),
                "逆向" if ind.direction == "lower" else "正向",
                pillar.name,
                pillar.weight * weight / weight_total[pillar_id],
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
    plans, headroom = catch_up_plans(run, result)
    return Scorecard(
        run,
        result,
        [(c, result.directions.get(c.id, 0.0)) for c in columns],
        lines,
        history,
        plans,
        headroom,
    )
