"""The target board with warnings (docs/dashboard.md, targets): every numeric target of the plan per
platform and for the city, extending the cockpit's assessments (``dashboard.services``) with
the metrics that only the approved platform reports carry (investment intensity, high-tech
share, innovation complexes, management bodies and staff)."""

from __future__ import annotations

from dataclasses import dataclass

from pingtai.dashboard.services import build_cockpit
from pingtai.registry import selectors as registry_selectors
from pingtai.registry.models import Platform
from pingtai.reporting.services import approved_version, version_values
from pingtai.targets import Assessment, Target, TargetPlan, assess, load_targets

FORM = "platform_quarterly"
REPORT_METRICS = ("investment_intensity", "high_tech_share", "innovation_complexes")


def reported_year_values(year: int) -> dict[str, dict[str, float]]:
    """Platform code → the approved Q4 (whole-year) values of ``year``."""
    out = {}
    for code in Platform.objects.order_by("code").values_list("code", flat=True):
        version = approved_version(FORM, f"{year}Q4", code)
        if version is not None:
            out[code] = {k: float(v) for k, v in version_values(version).get(code, {}).items()}
    return out


def _report_metric(
    metric: str, values: dict[str, float] | None, land_mu: float | None
) -> float | None:
    if not values:
        return None
    if metric == "investment_intensity":
        invest = values.get("industrial_investment")
        return None if invest is None or not land_mu else invest / land_mu
    if metric == "high_tech_share":
        va, ht = values.get("above_scale_value_added"), values.get("hightech_value_added")
        return None if not va or ht is None else ht / va * 100
    return values.get(metric)


@dataclass
class BoardRow:
    platform: Platform
    assessments: list[Assessment]


@dataclass
class Board:
    year: int | None
    years: list[int]
    plan: TargetPlan
    platform_targets: list[Target]
    rows: list[BoardRow]
    overall: list[Assessment]
    warnings: list[tuple[str, Assessment]]

    def count(self, status: str) -> int:
        return sum(1 for _, a in self.warnings if a.status == status)

    @property
    def red(self) -> int:
        return self.count("red")

    @property
    def yellow(self) -> int:
        return self.count("yellow")


def build_board(year: int | None = None) -> Board:
    plan = load_targets()
    cockpit = build_cockpit(year, "role", plan)
    year = cockpit.year
    years = cockpit.years
    reported = {y: reported_year_values(y) for y in years}
    land = {
        y: {
            p_id: float(fig.land_mu)
            for p_id, fig in registry_selectors.figures_by_platform(y).items()
        }
        for y in years
        if reported[y]
    }
    targets = list(plan.for_scope("platform"))
    rows = []
    for cockpit_row in cockpit.rows:
        platform = cockpit_row.platform
        line = []
        for target in targets:
            if target.metric in REPORT_METRICS:
                series = {
                    y: _report_metric(
                        target.metric,
                        reported[y].get(platform.code),
                        land.get(y, {}).get(platform.pk),
                    )
                    for y in years
                    if reported[y]
                }
                line.append(assess(target, series, plan.status, as_of=year))
            else:
                line.append(cockpit_row.assessments[target.id])
        rows.append(BoardRow(platform, line))
    overall = []
    for a in cockpit.overall_targets:
        metric = a.target.metric
        if (
            metric in ("management_bodies", "management_staff")
            and year is not None
            and reported.get(year)
            and len(reported[year]) == len(rows)
        ):
            total = sum(v.get(metric, 0.0) for v in reported[year].values())
            overall.append(assess(a.target, {year: total}, plan.status, as_of=year))
        else:
            overall.append(a)
    warnings = [
        (r.platform.short_name, a)
        for r in rows
        for a in r.assessments
        if a.status in ("red", "yellow")
    ]
    warnings += [("全市", a) for a in overall if a.status in ("red", "yellow")]
    warnings.sort(key=lambda w: (w[1].status != "red", w[1].target.id, w[0]))
    return Board(year, years, plan, targets, rows, overall, warnings)
