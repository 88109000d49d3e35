"""Keeping the summaries true: the one place that computes them (docs/dashboard.md, "Summaries").

Every write that changes what they sum calls one of the refresh functions below inside its own
transaction, so a reader sees the new figures exactly when it sees the new data:

- loading the register (``registry.services.registry_load_dataset``) and every correction of a
  firm or of its yearly figures in the administration site → ``summaries_refresh_figures``
  for the years concerned (the platform centres come along);
- publishing a 亩均 run, also when it supersedes the current one (the run kernel's
  ``on_published`` step of the 亩均 kind) → ``summaries_refresh_run``.

Department reports do not write the register's yearly figures (they are joined into a run's
inputs, docs/reporting.md), so approving one changes nothing here. ``pingtai summaries
rebuild`` recomputes everything, e.g. after data was changed outside these paths.

The functions take the model classes as an argument so that the migration that first builds
the summaries runs the same code on its historical models.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from django.db import transaction
from django.db.models import Avg, Count, Q, Sum

CENT = Decimal("0.01")
SUMMED = (
    "land_mu",
    "output_wan",
    "value_added_wan",
    "revenue_wan",
    "tax_wan",
    "rd_wan",
    "energy_tce",
    "emission_t",
    "electricity_wan_kwh",
)
ABOVE_SCALE = "规上"  # registry.EnterpriseYear.SizeClass.ABOVE
PUBLISHED_STATES = ("published", "superseded")  # runs.RunStatus: results frozen for good


def _real_models() -> Any:
    from pingtai.evaluation.models import EnterpriseResult, EvaluationRun
    from pingtai.registry.models import Enterprise, EnterpriseYear
    from pingtai.summaries.models import ClassSummary, FigureSummary, PlatformCentre

    return SimpleNamespace(
        EnterpriseYear=EnterpriseYear,
        Enterprise=Enterprise,
        EvaluationRun=EvaluationRun,
        EnterpriseResult=EnterpriseResult,
        FigureSummary=FigureSummary,
        PlatformCentre=PlatformCentre,
        ClassSummary=ClassSummary,
    )


def migration_models(apps: Any) -> Any:
    """The same classes from a migration's state."""
    names = {
        "EnterpriseYear": "registry",
        "Enterprise": "registry",
        "EvaluationRun": "evaluation",
        "EnterpriseResult": "evaluation",
        "FigureSummary": "summaries",
        "PlatformCentre": "summaries",
        "ClassSummary": "summaries",
    }
    return SimpleNamespace(**{name: apps.get_model(app, name) for name, app in names.items()})


def _exact(total: Any) -> Decimal:
    """SQLite sums decimal columns as binary floats; the inputs have two decimals, so rounding
    the sum back to cents restores the exact total (PostgreSQL's sums are exact already)."""
    return Decimal(total or 0).quantize(CENT)


# Two writers refreshing the same year must take turns: each would otherwise delete the
# other's fresh rows or collide with them on the unique key. On PostgreSQL a transaction-level
# advisory lock (released at commit or rollback) orders them; SQLite lets one writer at a time
# anyway (settings: transactions begin IMMEDIATE).
LOCK_KEY = 0x5055_4D53  # any constant; only the summaries take this lock


def _lock() -> None:
    connection = transaction.get_connection()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])


def _figures(m: Any, years: Iterable[int] | None) -> int:
    rows = m.EnterpriseYear.objects.all()
    stale = m.FigureSummary.objects.all()
    if years is not None:
        years = sorted(set(years))
        rows, stale = rows.filter(year__in=years), stale.filter(year__in=years)
    above = Q(size_class=ABOVE_SCALE)
    grouped = (
        rows.order_by()
        .values("year", "enterprise__platform_id", "enterprise__county_id")
        .annotate(
            n_enterprises=Count("id"),
            n_above_scale=Count("id", filter=above),
            sum_above_scale_output_wan=Sum("output_wan", filter=above),
            sum_employees=Sum("employees"),
            **{f"sum_{name}": Sum(name) for name in SUMMED},
        )
    )
    fresh = [
        m.FigureSummary(
            year=g["year"],
            platform_id=g["enterprise__platform_id"],
            county_id=g["enterprise__county_id"],
            enterprises=g["n_enterprises"],
            above_scale=g["n_above_scale"],
            above_scale_output_wan=_exact(g["sum_above_scale_output_wan"]),
            employees=int(g["sum_employees"] or 0),
            **{name: _exact(g[f"sum_{name}"]) for name in SUMMED},
        )
        for g in grouped
    ]
    stale.delete()
    m.FigureSummary.objects.bulk_create(fresh)
    return len(fresh)


def _centres(m: Any) -> int:
    located = m.Enterprise.objects.filter(lon__isnull=False, lat__isnull=False)
    fresh = [
        m.PlatformCentre(platform_id=g["platform_id"], located=g["n"], lon=g["lon"], lat=g["lat"])
        for g in located.order_by()
        .values("platform_id")
        .annotate(n=Count("id"), lon=Avg("lon"), lat=Avg("lat"))
    ]
    m.PlatformCentre.objects.all().delete()
    m.PlatformCentre.objects.bulk_create(fresh)
    return len(fresh)


def _classes(m: Any, run_ids: list[int]) -> int:
    counted = (
        m.EnterpriseResult.objects.filter(run_id__in=run_ids)
        .order_by()
        .values("run_id", "platform_code", "klass")
        .annotate(n=Count("id"))
    )
    fresh = [
        m.ClassSummary(
            run_id=g["run_id"], platform_code=g["platform_code"], klass=g["klass"], count=g["n"]
        )
        for g in counted
    ]
    m.ClassSummary.objects.filter(run_id__in=run_ids).delete()
    m.ClassSummary.objects.bulk_create(fresh)
    return len(fresh)


def summaries_refresh_figures(years: Iterable[int] | None = None) -> None:
    """After the register's firms or yearly figures changed: the figure sums of ``years``
    (every year when None) and the platform centres, in the caller's transaction."""
    m = _real_models()
    with transaction.atomic():
        _lock()
        _figures(m, years)
        _centres(m)


def summaries_refresh_run(run: Any) -> None:
    """After a 亩均 run was published: its class counts per platform."""
    m = _real_models()
    with transaction.atomic():
        _lock()
        _classes(m, [run.pk])


@dataclass(frozen=True)
class RebuildReport:
    figure_rows: int
    platforms_located: int
    runs: int
    class_rows: int


def summaries_rebuild(m: Any = None) -> RebuildReport:
    """Everything from scratch: every year's figure sums, the platform centres and the class
    counts of every published or superseded 亩均 run."""
    m = m or _real_models()
    with transaction.atomic():
        _lock()
        figure_rows = _figures(m, None)
        located = _centres(m)
        runs = list(
            m.EvaluationRun.objects.filter(status__in=PUBLISHED_STATES).values_list("pk", flat=True)
        )
        m.ClassSummary.objects.exclude(run_id__in=runs).delete()
        class_rows = _classes(m, runs)
    return RebuildReport(figure_rows, located, len(runs), class_rows)
