"""The target board with warnings (docs/dashboard.md, targets): every numeric target of the plan per
platform and for the city — the cockpit's assessments (``dashboard.services``), with the city's
management bodies and staff taken from the approved year-end platform reports."""

from __future__ import annotations

from dataclasses import dataclass

from pingtai.dashboard.services import build_cockpit
from pingtai.registry.models import Platform
from pingtai.reporting.services import approved_version, version_values
from pingtai.targets import Assessment, Target, TargetPlan, assess, load_targets

FORM = "platform_quarterly"


def reported_year_values(year: int) -> dict[str, dict[str, float]]:
    """Platform code → the approved Q4 (whole-year) values of ``year``."""
    out = {}
    for code in Platform.objects.order_by("code").values_list("code", flat=True):
        version = approved_version(FORM, f"{year}Q4", code)
        if version is not None:
            out[code] = {k: float(v) for k, v in version_values(version).get(code, {}).items()}
    return out


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
    targets = list(plan.for_scope("platform"))
    # The cockpit's assessments already read the approved year-end reports for the targets
    # only those reports carry (dashboard.services.platform_assessments).
    rows = [BoardRow(r.platform, [r.assessments[t.id] for t in targets]) for r in cockpit.rows]
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
