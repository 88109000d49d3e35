"""What the cockpit and the map show, assembled from the registry and the targets file.

Every area figure is a ratio of sums (docs/methods.md §4). Platform aggregates are readable by
every signed-in role (as on the home page); enterprise-level points go through
``enterprises_for(user)`` only.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, F, FilteredRelation, Q
from django.urls import reverse

from pingtai.accounts.models import User
from pingtai.accounts.scope import enterprises_for, platforms_for
from pingtai.core import numbers, terms
from pingtai.core.json_sql import JsonText
from pingtai.core.palette import CLASS_COLOURS, NEUTRAL_COLOUR, class_colour, status_colour
from pingtai.evaluation.models import EvaluationRun
from pingtai.registry.models import County, EnterpriseYear, Platform
from pingtai.registry.selectors import Figures
from pingtai.reporting.selectors import (
    PlatformReport,
    platform_reports,
    report_lines,
    year_end_totals,
)
from pingtai.runs.selectors import current_published
from pingtai.summaries import selectors as summaries
from pingtai.targets import Assessment, TargetPlan, assess, load_targets

GROUPINGS = {"tier": "竞争梯队", "role": "一心两翼三片区"}
ROLE_ORDER = [Platform.SpatialRole.CORE, Platform.SpatialRole.WINGS, Platform.SpatialRole.AREAS]


def _sum_figures(parts: list[Figures]) -> Figures:
    return Figures(
        enterprises=sum(f.enterprises for f in parts),
        above_scale=sum(f.above_scale for f in parts),
        land_mu=sum((f.land_mu for f in parts), Decimal(0)),
        output_wan=sum((f.output_wan for f in parts), Decimal(0)),
        above_scale_output_wan=sum((f.above_scale_output_wan for f in parts), Decimal(0)),
        value_added_wan=sum((f.value_added_wan for f in parts), Decimal(0)),
        tax_wan=sum((f.tax_wan for f in parts), Decimal(0)),
    )


def change(current: Decimal | float | None, previous: Decimal | float | None) -> float | None:
    """Relative change (同比 when ``previous`` is the same period a year earlier)."""
    if current is None or previous is None or previous == 0:
        return None
    return float(current) / float(previous) - 1


@dataclass(frozen=True)
class Panel:
    """Yearly platform figures plus the R&D sums the shared Figures do not carry."""

    years: list[int]
    figures: dict[int, dict[int, Figures]]
    rd: dict[int, dict[int, tuple[float, float]]]
    # Platform id → year → the approved fourth-quarter (whole-year) platform report's values:
    # the only source of the targets on investment, high-tech share and innovation complexes,
    # the same approved figures the league scorecard reads (docs/dashboard.md, targets).
    year_end: dict[int, dict[int, dict[str, Decimal]]] = field(default_factory=dict)

    def city(self, year: int) -> Figures:
        return _sum_figures(list(self.figures.get(year, {}).values()))

    def group(self, year: int, platform_ids: list[int]) -> Figures:
        by_platform = self.figures.get(year, {})
        return _sum_figures([by_platform[p] for p in platform_ids if p in by_platform])


def load_panel() -> Panel:
    """Every year's platform sums, read from the summaries in one query: the cockpit costs the
    same whatever the number of firms (docs/dashboard.md, "Summaries")."""
    sums = summaries.by_year_and_platform()
    return Panel(
        list(sums),
        {
            year: {p: s.figures for p, s in by_platform.items()}
            for year, by_platform in sums.items()
        },
        {
            year: {p: (float(s.rd_wan), float(s.revenue_wan)) for p, s in by_platform.items()}
            for year, by_platform in sums.items()
        },
        _year_end_reports(),
    )


def _year_end_reports() -> dict[int, dict[int, dict[str, Decimal]]]:
    out: dict[int, dict[int, dict[str, Decimal]]] = {}
    for platform_id, reports in platform_reports().items():
        for r in reports:
            if r.index == 4:
                out.setdefault(platform_id, {})[r.year] = r.values
    return out


# Target metrics read from the approved year-end platform reports rather than the register.
REPORT_METRICS = ("investment_intensity", "high_tech_share", "innovation_complexes")


def _report_metric(panel: Panel, platform: Platform, metric: str, year: int) -> float | None:
    values = panel.year_end.get(platform.id, {}).get(year)
    if not values:
        return None
    if metric == "investment_intensity":
        # 工业固定资产投资 (year to date at Q4) ÷ the platform's land in use that year.
        invest = values.get("industrial_investment")
        fig = panel.figures.get(year, {}).get(platform.id)
        land = None if fig is None else fig.land_mu
        return None if invest is None or not land else float(invest) / float(land)
    if metric == "high_tech_share":
        # 高新技术产业增加值 ÷ 规上工业增加值, as the league's 高新技术产业增加值占比.
        va, ht = values.get("above_scale_value_added"), values.get("hightech_value_added")
        return None if not va or ht is None else float(ht) / float(va) * 100
    value = values.get(metric)
    return None if value is None else float(value)


def _platform_metric(panel: Panel, platform: Platform, metric: str, year: int) -> float | None:
    fig = panel.figures.get(year, {}).get(platform.id)
    if metric == "developable_area_mu":
        return None if platform.developable_area_mu is None else float(platform.developable_area_mu)
    if metric in ("rd_wan", "rd_intensity"):
        rd, revenue = panel.rd.get(year, {}).get(platform.id, (None, None))
        if metric == "rd_wan":
            return rd
        return None if not revenue or rd is None else rd / revenue * 100
    if fig is None:
        return None
    value = {
        "output_wan": fig.output_wan,
        "tax_per_mu": fig.tax_per_mu,
        "value_added_per_mu": fig.value_added_per_mu,
    }.get(metric)
    return None if value is None else float(value)


def platform_series(panel: Panel, platform: Platform, metric: str) -> dict[int, float | None]:
    if metric in REPORT_METRICS:
        years = sorted(panel.year_end.get(platform.id, {}))
        return {year: _report_metric(panel, platform, metric, year) for year in years}
    if metric == "developable_area_mu":
        # The registry holds the current area only, so it counts for the latest year alone.
        return (
            {panel.years[-1]: _platform_metric(panel, platform, metric, panel.years[-1])}
            if panel.years
            else {}
        )
    return {year: _platform_metric(panel, platform, metric, year) for year in panel.years}


def platform_assessments(
    panel: Panel, plan: TargetPlan, platform: Platform, year: int | None
) -> dict[str, Assessment]:
    """Target id → one platform's status on each platform-level target: the cells of the
    cockpit's platforms × targets board and the colour of the platform on the map."""
    return {
        t.id: assess(t, platform_series(panel, platform, t.metric), plan.status, as_of=year)
        for t in plan.for_scope("platform")
    }


# The worst status a platform has on any target decides its colour on the map.
STATUS_ORDER = ("red", "yellow", "green")


@dataclass(frozen=True)
class PlatformStatus:
    status: str
    label: str
    summary: str  # every status with how many targets and, for 红灯/黄灯, which ones


def platform_status(assessments: dict[str, Assessment], labels: dict[str, str]) -> PlatformStatus:
    """One platform's standing against the plan: 红灯 when any target is 红灯, else 黄灯 when
    any is 黄灯, else 绿灯; 暂无数据 when no target has data."""
    by_status: dict[str, list[str]] = defaultdict(list)
    for a in assessments.values():
        by_status[a.status].append(a.target.name)
    status = next((s for s in STATUS_ORDER if by_status.get(s)), "none")
    parts = []
    for key in (*STATUS_ORDER, "none"):
        names = by_status.get(key)
        if not names:
            continue
        listed = f"：{'、'.join(names)}" if key in ("red", "yellow") else ""
        parts.append(f"{labels[key]} {len(names)} 项{listed}")
    return PlatformStatus(status, labels[status], "；".join(parts))


@dataclass
class PlatformRow:
    platform: Platform
    figures: Figures | None
    previous: Figures | None
    assessments: dict[str, Assessment]
    rank: int = 0
    previous_rank: int | None = None

    @property
    def rank_change(self) -> int | None:
        """Places gained since the previous year within the same group (negative: lost)."""
        return None if self.previous_rank is None else self.previous_rank - self.rank

    @property
    def tax_per_mu_yoy(self) -> float | None:
        return self._change(lambda f: f.tax_per_mu)

    @property
    def value_added_per_mu_yoy(self) -> float | None:
        return self._change(lambda f: f.value_added_per_mu)

    @property
    def output_yoy(self) -> float | None:
        return self._change(lambda f: f.output_wan)

    def _change(self, value: Callable[[Figures], Decimal | None]) -> float | None:
        if self.figures is None or self.previous is None:
            return None
        return change(value(self.figures), value(self.previous))


@dataclass
class RankingGroup:
    key: str
    label: str
    rows: list[PlatformRow]


@dataclass
class TargetSummary:
    """One platform-scope target over all platforms: how many in each status."""

    target_id: str
    name: str
    goal_text: str
    target_year: int
    section: str
    assumptions: tuple[str, ...]
    counts: Counter = field(default_factory=Counter)


# Class colours: A best … D worst, T (exempt: listed, not graded) apart; anything else neutral.


def published_run(year: int | None) -> EvaluationRun | None:
    """The current enterprise 亩均 evaluation of ``year``; previews never show here."""
    if year is None:
        return None
    return current_published(EvaluationRun, year=year)


@dataclass
class ClassDistribution:
    """A/B/C/D counts of one published run, city-wide and per platform."""

    run: EvaluationRun
    classes: list[str]
    totals: dict[str, int]
    by_platform: list[tuple[Platform, dict[str, int], int]]

    @property
    def total(self) -> int:
        return sum(self.totals.values())

    def chart(self) -> dict:
        return {
            "classes": self.classes,
            "colours": [class_colour(k) for k in self.classes],
            "platforms": [p.short_name for p, _, _ in self.by_platform],
            "counts": [
                [counts.get(k, 0) for _, counts, _ in self.by_platform] for k in self.classes
            ],
        }


def class_distribution(
    run: EvaluationRun | None, platforms: list[Platform]
) -> ClassDistribution | None:
    if run is None:
        return None
    # Counted when the run was published (docs/dashboard.md, "Summaries"), not per request:
    # a province's run has 10⁵ result rows (docs/benchmarks.md, Province scale).
    per_platform: dict[str, Counter] = defaultdict(Counter)
    for code, counts in summaries.class_counts(run.pk).items():
        per_platform[code].update(counts)
    totals = sum(per_platform.values(), Counter())
    classes = sorted(totals, key=lambda k: (k not in CLASS_COLOURS, k))
    return ClassDistribution(
        run=run,
        classes=classes,
        totals={k: totals[k] for k in classes},
        by_platform=[
            (p, dict(per_platform[p.code]), sum(per_platform[p.code].values())) for p in platforms
        ],
    )


@dataclass
class Cockpit:
    year: int | None
    years: list[int]
    previous_year: int | None
    plan: TargetPlan
    city: Figures | None
    city_previous: Figures | None
    platform_targets: list[TargetSummary]
    overall_targets: list[Assessment]
    groups: list[RankingGroup]
    grouping: str
    rows: list[PlatformRow]
    trend: dict
    classes: ClassDistribution | None
    organisation: list[OrganisationWarning] = field(default_factory=list)

    @property
    def kpi_targets(self) -> dict[str, TargetSummary]:
        """Metric → the platform-level target on that metric's level, for the KPI cards."""
        level = {t.id for t in self.plan.targets if t.kind == "at_least" and t.scope == "platform"}
        by_id = {t.id: t for t in self.plan.targets}
        return {by_id[s.target_id].metric: s for s in self.platform_targets if s.target_id in level}

    def _level_goal(self, metric: str) -> float | None:
        return next(
            (t.goal for t in self.plan.targets if t.metric == metric and t.kind == "at_least"), None
        )

    def charts(self) -> dict:
        """Data for the cockpit's charts, passed to the page through json_script."""

        def per_mu(fig: Figures | None, attribute: str) -> float | None:
            value = getattr(fig, attribute) if fig else None
            return None if value is None else round(float(value), 2)

        rows = sorted(
            self.rows, key=lambda r: (-(per_mu(r.figures, "tax_per_mu") or 0), r.platform.code)
        )
        return {
            "year": self.year,
            "trend": self.trend,
            "classes": self.classes.chart() if self.classes else None,
            "bars": {
                "names": [r.platform.short_name for r in rows],
                "tax_per_mu": [per_mu(r.figures, "tax_per_mu") for r in rows],
                "value_added_per_mu": [per_mu(r.figures, "value_added_per_mu") for r in rows],
                "tax_goal": self._level_goal("tax_per_mu"),
                "value_added_goal": self._level_goal("value_added_per_mu"),
            },
        }

    @property
    def city_yoy(self) -> dict[str, float | None]:
        """同比 of every city figure; empty without a previous year."""
        if self.city is None or self.city_previous is None:
            return {}
        return {
            name: change(getattr(self.city, name), getattr(self.city_previous, name))
            for name in (
                "output_wan",
                "above_scale_output_wan",
                "tax_wan",
                "tax_per_mu",
                "value_added_per_mu",
                "enterprises",
            )
        }


def _overall_assessments(
    panel: Panel, plan: TargetPlan, platforms: list[Platform], year: int
) -> list[Assessment]:
    result = []
    by_role = [p.id for p in platforms if p.spatial_role == Platform.SpatialRole.WINGS]
    for target in plan.targets:
        if target.scope == "wings":
            series = {y: float(panel.group(y, by_role).output_wan) for y in panel.years}
        elif target.scope == "city_core":
            ids = [p.id for p in platforms if p.code in target.platforms]
            series = {y: float(panel.group(y, ids).output_wan) for y in panel.years}
        elif target.scope == "city" and target.metric in ("management_bodies", "management_staff"):
            # From the platforms' approved year-end (Q4) reports, one value per year in which
            # every platform's is approved; the register's single staff figure is the 2019
            # base and would show no change at all.
            ids = [p.id for p in platforms]
            series = {
                y: float(v) for y, v in year_end_totals(target.metric, ids).items() if y <= year
            }
            if not series and target.metric == "management_bodies":
                # No approved year-end reports: the targets file's stated assumption, one
                # body per platform (一个平台、一个主体).
                series = {year: float(len(platforms))}
        else:
            continue
        result.append(assess(target, series, plan.status, as_of=year))
    return result


def _trend(panel: Panel) -> dict:
    def yi(value: Decimal) -> float | None:
        return numbers.yi_for_chart(value)

    def per_mu(value: Decimal | None) -> float | None:
        return None if value is None else round(float(value), 2)

    cities = [panel.city(y) for y in panel.years]
    return {
        "years": [str(y) for y in panel.years],
        "output_yi": [yi(c.output_wan) for c in cities],
        "tax_yi": [yi(c.tax_wan) for c in cities],
        "tax_per_mu": [per_mu(c.tax_per_mu) for c in cities],
        "value_added_per_mu": [per_mu(c.value_added_per_mu) for c in cities],
    }


def build_cockpit(year: int | None, grouping: str, plan: TargetPlan | None = None) -> Cockpit:
    plan = plan or load_targets()
    panel = load_panel()
    years = panel.years
    year = year if year in years else (years[-1] if years else None)
    previous_year = year - 1 if year is not None and year - 1 in years else None
    platforms = list(Platform.objects.order_by("code"))
    platform_targets = [
        TargetSummary(t.id, t.name, t.goal_text, t.target_year, t.section, t.assumptions)
        for t in plan.for_scope("platform")
    ]
    rows: list[PlatformRow] = []
    for platform in platforms:
        assessments = platform_assessments(panel, plan, platform, year)
        for summary in platform_targets:
            summary.counts[assessments[summary.target_id].status] += 1
        rows.append(
            PlatformRow(
                platform,
                panel.figures.get(year, {}).get(platform.id) if year else None,
                panel.figures.get(previous_year, {}).get(platform.id) if previous_year else None,
                assessments,
            )
        )
    grouping = grouping if grouping in GROUPINGS else "tier"
    overall = _overall_assessments(panel, plan, platforms, year) if year else []
    return Cockpit(
        year=year,
        years=years,
        previous_year=previous_year,
        plan=plan,
        city=panel.city(year) if year else None,
        city_previous=panel.city(previous_year) if previous_year else None,
        platform_targets=platform_targets,
        overall_targets=overall,
        groups=_rank(rows, grouping),
        grouping=grouping,
        rows=rows,
        trend=_trend(panel),
        classes=class_distribution(published_run(year), platforms),
        organisation=organisation_warnings(plan, platforms, year, overall) if year else [],
    )


@dataclass(frozen=True)
class OrganisationWarning:
    platform: Platform | None  # None: a city-wide finding
    text: str


def organisation_warnings(
    plan: TargetPlan, platforms: list[Platform], year: int, overall: Sequence[Assessment] = ()
) -> list[OrganisationWarning]:
    """The plan's organisational rules checked (targets file, [organisation]): each platform's
    leadership posts against the cap, each platform's year-end staff against its 2019 figure
    less the reduction, and the city-wide body and staff targets not met."""
    rules = plan.organisation
    if rules is None:
        return []
    out = [
        OrganisationWarning(
            p,
            f"{p.short_name}领导职数 {p.leadership_posts} 名，超过方案{rules.section}"
            f"规定的每个平台上限 {rules.max_leadership_posts} 名",
        )
        for p in platforms
        if p.leadership_posts is not None and p.leadership_posts > rules.max_leadership_posts
    ]
    reports = platform_reports([p.id for p in platforms])
    for p in platforms:
        year_end = next(
            (
                r
                for r in reports.get(p.id, [])
                if r.index == 4 and r.year <= year and "management_staff" in r.values
            ),
            None,
        )
        if year_end is None or not p.staff_count:
            continue
        staff = year_end.values["management_staff"]
        limit = p.staff_count * (1 - rules.staff_reduction)
        if staff > limit:
            cut = (1 - float(staff) / p.staff_count) * 100
            out.append(
                OrganisationWarning(
                    p,
                    f"{p.short_name}{year_end.year}年末管理人员 {staff} 人，较2019年 "
                    f"{p.staff_count} 人缩减 {cut:.1f}%，未达缩减 {rules.staff_reduction:.0%} "
                    f"的要求（不超过 {limit:.0f} 人）",
                )
            )
    for a in overall:
        if a.target.metric in ("management_bodies", "management_staff") and not a.met:
            out.append(OrganisationWarning(None, f"{a.target.name}：{a.reason}"))
    return out


def _rank(rows: list[PlatformRow], grouping: str) -> list[RankingGroup]:
    """Within each group by 亩均税收 (descending); ties broken by platform code."""
    if grouping == "role":
        keys = [(str(role), str(role)) for role in ROLE_ORDER]
        attribute = "spatial_role"
    else:
        keys = [
            (tier, terms.tier_name(tier)) for tier in sorted({row.platform.tier for row in rows})
        ]
        attribute = "tier"
    groups = []
    for key, label in keys:
        members = sorted(
            (r for r in rows if getattr(r.platform, attribute) == key),
            key=lambda r: (-(r.figures.tax_per_mu or 0) if r.figures else 0, r.platform.code),
        )
        for rank, row in enumerate(members, start=1):
            row.rank = rank
        before = sorted(
            (r for r in members if r.previous and r.previous.tax_per_mu is not None),
            key=lambda r: (-(r.previous.tax_per_mu or 0) if r.previous else 0, r.platform.code),
        )
        for rank, row in enumerate(before, start=1):
            row.previous_rank = rank
        groups.append(RankingGroup(key, label, members))
    return groups


# --- map ---------------------------------------------------------------------------------

MAP_INDICATORS = {
    "output": ("工业总产值", "亿元"),
    "tax": ("税收", "亿元"),
    "tax_per_mu": ("亩均税收", "万元/亩"),
    "value_added_per_mu": ("亩均增加值", "万元/亩"),
    "enterprises": ("入园企业数", "家"),
}
# Bands for colouring enterprise points until evaluation classes are published; 30 is the
# plan's 2025 亩均税收 target, the lower edges are display choices.
TAX_BANDS = [
    (None, 5, "低于5"),
    (5, 10, "5—10"),
    (10, 30, "10—30"),
    (30, None, "30及以上（达到2025年目标值）"),
]
MAP_ENTERPRISE_LIMIT = 5000


def _indicator_value(indicator: str, fig: Figures) -> float | None:
    if indicator == "output":
        return numbers.yi_for_chart(fig.output_wan)
    if indicator == "tax":
        return numbers.yi_for_chart(fig.tax_wan)
    if indicator == "enterprises":
        return fig.enterprises
    value = fig.tax_per_mu if indicator == "tax_per_mu" else fig.value_added_per_mu
    return None if value is None else round(float(value), 2)


def county_figures(year: int) -> dict[str, Figures]:
    """County code → figures of the enterprises located there (counties without any left out)."""
    return summaries.figures_by_county(year)


def _report_summary(reports: list[PlatformReport] | None) -> dict | None:
    """The platform's latest approved quarterly report, for the map's platform popup."""
    if not reports:
        return None
    latest = reports[0]
    return {
        "period": latest.period_label,
        "lines": [f"{name} {value}" for name, value in report_lines(latest)[:4]],
        "values": {k: float(v) for k, v in latest.values.items()},
    }


OVERALL = "overall"


def status_choices(plan: TargetPlan) -> list[tuple[str, str]]:
    """What the map's platform markers can be coloured by: the overall standing (the worst
    target) or one platform-level target of the plan, as the cockpit's board columns."""
    return [(OVERALL, "综合（最差一项）")] + [
        (t.id, f"{t.name}（{t.goal_text}）") for t in plan.for_scope("platform")
    ]


def _standing(assessments: dict[str, Assessment], labels: dict[str, str]) -> dict[str, dict]:
    """Status key → {status, label, colour, reason} per target and overall, for the map."""
    overall = platform_status(assessments, labels)
    standing = {
        OVERALL: {
            "status": overall.status,
            "label": overall.label,
            "colour": status_colour(overall.status),
            "reason": overall.summary,
        }
    }
    for key, a in assessments.items():
        standing[key] = {
            "status": a.status,
            "label": a.label,
            "colour": status_colour(a.status),
            "reason": a.reason,
        }
    return standing


def _value_text(value: float | None, unit: str) -> str:
    """A map figure as people read it, through the shared formatter: the unit decides the
    decimals (two for 亿元 and 万元/亩, none for 家)."""
    return numbers.MISSING if value is None else f"{numbers.number_in(value, unit)} {unit}"


def map_data(year: int, indicator: str, plan: TargetPlan | None = None) -> dict:
    label, unit = MAP_INDICATORS[indicator]
    plan = plan or load_targets()
    panel = load_panel()
    labels = plan.status.labels
    reports = platform_reports()
    by_county = county_figures(year)
    counties = [
        {"code": c.code, "name": c.name, "value": value, "text": _value_text(value, unit)}
        for c in County.objects.order_by("code")
        if c.code in by_county
        for value in [_indicator_value(indicator, by_county[c.code])]
    ]
    present = [
        v for v in (_indicator_value(indicator, by_county[c]) for c in by_county) if v is not None
    ]
    by_platform = summaries.figures_by_platform(year)
    centres = summaries.platform_centres()
    platforms = [
        {
            "code": p.code,
            "name": p.name,
            "short_name": p.short_name,
            "tier": terms.tier_name(p.tier),
            "role": p.spatial_role,
            "lon": round(centres[p.id][0], 5),
            "lat": round(centres[p.id][1], 5),
            "value": _indicator_value(indicator, by_platform[p.id])
            if p.id in by_platform
            else None,
            "value_text": _value_text(
                _indicator_value(indicator, by_platform[p.id]) if p.id in by_platform else None,
                unit,
            ),
            "url": reverse("platform_detail", args=[p.code]),
            "report": _report_summary(reports.get(p.id)),
            "standing": _standing(platform_assessments(panel, plan, p, year), labels),
        }
        for p in Platform.objects.order_by("code")
        if p.id in centres
    ]
    return {
        "year": year,
        "indicator": {"key": indicator, "label": label, "unit": unit},
        "counties": counties,
        # The colour scale's ends, written as the county list writes its values.
        "range": [
            _value_text(min(present), unit) if present else numbers.MISSING,
            _value_text(max(present), unit) if present else numbers.MISSING,
        ],
        "platforms": platforms,
        # The marker legend, in the order of the cockpit's badges; words, not colour alone.
        "statuses": [
            {"key": s, "label": labels[s], "colour": status_colour(s)}
            for s in (*STATUS_ORDER, "none")
        ],
        "status_targets": [{"key": k, "label": v} for k, v in status_choices(plan)],
        "plan": f"{plan.document}《{plan.title}》",
    }


def _band(tax: Decimal | None, land: Decimal | None) -> int:
    if tax is None or not land:
        return len(TAX_BANDS)
    per_mu = tax / land
    for index, (low, high, _) in enumerate(TAX_BANDS):
        if (low is None or per_mu >= low) and (high is None or per_mu < high):
            return index
    return len(TAX_BANDS)


TAX_BAND_COLOURS = ["#b3261e", "#e07b39", "#4a90c2", "#1b7f3b", NEUTRAL_COLOUR]


def enterprise_points(user: User, year: int) -> dict:
    """Scoped enterprise points with coordinates, the largest taxpayers first, capped.

    Coloured by the class of the year's published 亩均 evaluation when there is one, otherwise
    by 亩均税收 band (and then the legend says so)."""
    counts = enterprises_for(user).aggregate(
        total=Count("id"), located=Count("id", filter=Q(lon__isnull=False, lat__isnull=False))
    )
    # The year's rows read in tax order through the (year, −tax) index until the cap is full,
    # the scope and the coordinates checked on the joined firm (docs/benchmarks.md, Province
    # scale).
    largest = EnterpriseYear.objects.filter(
        year=year,
        enterprise__platform__in=platforms_for(user),
        enterprise__lon__isnull=False,
        enterprise__lat__isnull=False,
    ).order_by(F("tax_wan").desc(), "enterprise__uscc")
    firm = ("enterprise__lon", "enterprise__lat", "enterprise__name", "enterprise__uscc")
    run = published_run(year)
    if run is None:
        title = "亩均税收（万元/亩）分段"
        categories = [label for _, _, label in TAX_BANDS] + ["无当年数据"]
        colours = TAX_BAND_COLOURS
        rows = [
            (lon, lat, name, uscc, _band(tax, land), "")
            for lon, lat, name, uscc, tax, land in largest.values_list(*firm, "tax_wan", "land_mu")[
                :MAP_ENTERPRISE_LIMIT
            ]
        ]
    else:
        # Each shown firm's row of the run joined in the same query through the run's
        # (run, firm) unique index; of its JSON only the carbon grade and band (the tooltip).
        graded = largest.annotate(
            result=FilteredRelation(
                "enterprise__results", condition=Q(enterprise__results__run=run)
            )
        ).values_list(
            *firm,
            "result__klass",
            JsonText("result__values", "_carbon", "carbon_grade"),
            JsonText("result__values", "_carbon", "carbon_band"),
        )[:MAP_ENTERPRISE_LIMIT]
        shown = list(graded)
        present = sorted(
            {r[4] for r in shown if r[4] is not None}, key=lambda k: (k not in CLASS_COLOURS, k)
        )
        title = f"{run.year}年度亩均效益评价类别（{terms.method_name(run.method_id)}，已发布）"
        categories = [f"{k}类" for k in present] + ["未参评"]
        colours = [class_colour(k) for k in present] + [NEUTRAL_COLOUR]
        position: dict[str | None, int] = {k: i for i, k in enumerate(present)}
        rows = [
            (
                lon,
                lat,
                name,
                uscc,
                position.get(klass, len(present)),
                f"碳效 {grade} 级（{band}）" if grade not in (None, "0") else "",
            )
            for lon, lat, name, uscc, klass, grade, band in shown
        ]
    points = [
        [round(lon, 5), round(lat, 5), category, name, uscc, carbon]
        for lon, lat, name, uscc, category, carbon in rows
    ]
    return {
        "year": year,
        "total": counts["total"],
        "located": counts["located"],
        "shown": len(points),
        "limit": MAP_ENTERPRISE_LIMIT,
        "detail_url": reverse("enterprise_detail", args=["__USCC__"]),
        "colour_by": title,
        "categories": categories,
        "colours": colours[: len(categories)],
        "points": points,
    }
