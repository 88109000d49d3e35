"""Scoped reads of evaluation results, and the figures pages show."""

from __future__ import annotations

from collections import Counter, defaultdict
from decimal import Decimal

from django.db.models import QuerySet

from pingtai.accounts.models import User
from pingtai.evaluation.models import EnterpriseResult, EvaluationRun
from pingtai.evaluation.sources import NUMERIC
from pingtai.policies import (
    Firm,
    low_efficiency_reasons,
    low_efficiency_rules,
    policy_lines,
    policy_set,
)
from pingtai.registry.models import EnterpriseYear


def results_for(user: User, run: EvaluationRun) -> QuerySet[EnterpriseResult]:
    """A platform user sees only its own enterprises' results, before and after publication;
    the city roles and departments see all; any other role none."""
    rows = run.results.all()
    if user.role in (User.Role.CITY_ADMIN, User.Role.LEADER, User.Role.DEPARTMENT):
        return rows
    if user.role == User.Role.PLATFORM and user.platform is not None:
        return rows.filter(platform_code=user.platform.code)
    return rows.none()


def class_table(rows: QuerySet[EnterpriseResult], by: str) -> list[tuple[str, dict[str, int], int]]:
    """(group, {class: count}, total) for group = county_code or platform_code."""
    counts: dict[str, Counter] = defaultdict(Counter)
    for group, klass in rows.values_list(by, "klass"):
        counts[group][klass] += 1
    return [(g, dict(c), sum(c.values())) for g, c in sorted(counts.items())]


def class_history(uscc: str) -> list[EnterpriseResult]:
    return list(
        EnterpriseResult.objects.filter(uscc=uscc, run__status=EvaluationRun.Status.PUBLISHED)
        .select_related("run")
        .order_by("run__year", "run__published_at")
    )


def policy_rows(run: EvaluationRun, rows: QuerySet[EnterpriseResult]):
    """Per enterprise, the instruments its class and carbon grade bring and their amounts
    (万元), from the policy table of the run's year and the firm's county."""
    policies = policy_set()
    from pingtai.evaluation.services import snapshot_frame

    frame = snapshot_frame(bytes(run.input_snapshot.content))
    basis = {r["uscc"]: r for r in frame.select("uscc", *NUMERIC).iter_rows(named=True)}
    d_streak = _consecutive_d(rows)
    out = []
    for r in rows.order_by("county_code", "platform_code", "klass", "uscc"):
        carbon = (r.values or {}).get("_carbon") or {}
        firm = Firm(
            r.klass,
            basis.get(r.uscc, {}),
            years_in_class=d_streak.get(r.uscc, 1),
            carbon_grade=carbon.get("carbon_grade"),
            carbon_band=carbon.get("carbon_band"),
        )
        lines = policy_lines(policies.table_for(run.year, r.county_code), firm)
        if lines:
            out.append((r, lines))
    totals: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
    for r, lines in out:
        for line in lines:
            if line.amount_wan is not None:
                totals[("platform", r.platform_code, line.instrument.name)] += line.amount_wan
                totals[("county", r.county_code, line.instrument.name)] += line.amount_wan
    return policies.table_for(run.year), out, dict(totals)


def _consecutive_d(rows: QuerySet[EnterpriseResult]) -> dict[str, int]:
    """Years in a row an enterprise was published in class D, ending with this run's class."""
    streak: dict[str, int] = {}
    history: defaultdict[str, dict[int, str]] = defaultdict(dict)
    for uscc, year, klass in EnterpriseResult.objects.filter(
        run__status=EvaluationRun.Status.PUBLISHED, klass="D"
    ).values_list("uscc", "run__year", "klass"):
        history[uscc][year] = klass
    for r in rows.filter(klass="D"):
        n, year = 1, r.run.year - 1
        while history[r.uscc].get(year) == "D":
            n, year = n + 1, year - 1
        streak[r.uscc] = n
    return streak


def low_efficiency(rows: QuerySet[EnterpriseResult], year: int):
    """Candidates for the exit or renovation mechanism, with their land and reasons."""
    rules = low_efficiency_rules()
    years = list(range(year - rules.consecutive_years + 1, year + 1))
    figures: defaultdict[str, dict[int, float | None]] = defaultdict(dict)
    for uscc, y, tax, land in EnterpriseYear.objects.filter(
        year__in=years, enterprise__uscc__in=rows.values("uscc")
    ).values_list("enterprise__uscc", "year", "tax_wan", "land_mu"):
        figures[uscc][y] = float(tax / land) if land else None
    classes: defaultdict[str, list[str]] = defaultdict(list)
    for uscc, klass in (
        EnterpriseResult.objects.filter(
            run__status=EvaluationRun.Status.PUBLISHED, uscc__in=rows.values("uscc")
        )
        .order_by("run__year")
        .values_list("uscc", "klass")
    ):
        classes[uscc].append(klass)
    land_of = dict(
        EnterpriseYear.objects.filter(year=year).values_list("enterprise__uscc", "land_mu")
    )
    out = []
    for r in rows.exclude(klass="T").order_by("platform_code", "uscc"):
        reasons = low_efficiency_reasons(
            rules, [figures[r.uscc].get(y) for y in years], classes[r.uscc]
        )
        if reasons:
            out.append((r, land_of.get(r.uscc), reasons))
    per_platform: dict[str, Decimal] = defaultdict(Decimal)
    for r, area, _ in out:
        per_platform[r.platform_code] += area or Decimal(0)
    return rules, out, dict(sorted(per_platform.items()))
