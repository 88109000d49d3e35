"""Reads of the reporting state that other modules rely on."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from pingtai.catalogue import default_catalogue
from pingtai.core import numbers
from pingtai.reporting.models import Fact, Requirement, Submission

APPROVED = (Submission.Status.APPROVED, Submission.Status.LOCKED)


@dataclass(frozen=True)
class OpenRequirement:
    """A required report that is not (yet) approved, with the words an official reads."""

    requirement: Requirement
    form_name: str
    state_label: str

    def text(self) -> str:
        r = self.requirement
        return f"{r.period.label} {r.scope_name}：{self.form_name}（{self.state_label}）"


def unapproved_requirements(
    *, period_codes: Iterable[str], forms: Iterable[str] | None = None
) -> list[OpenRequirement]:
    """Requirements of the periods (and forms) whose submission is missing or not approved.

    This is the publish gate's definition of "required reports" (docs/runs.md): the
    requirements that exist for the run's period; the register's base layer counts as approved.
    """
    rows = Requirement.objects.filter(period__code__in=list(period_codes)).select_related(
        "period", "platform", "submission"
    )
    if forms is not None:
        rows = rows.filter(form_code__in=list(forms))
    catalogue = default_catalogue()
    out = []
    for r in rows.order_by("period__code", "form_code", "platform__code", "department"):
        submission = getattr(r, "submission", None)
        if submission is not None and submission.status in APPROVED:
            continue
        state = submission.get_status_display() if submission is not None else "未上传"
        name = catalogue.forms[r.form_code].name if r.form_code in catalogue.forms else r.form_code
        out.append(OpenRequirement(r, name, state))
    return out


PLATFORM_FORM = "platform_quarterly"


@dataclass(frozen=True)
class PlatformReport:
    """One platform's approved report of one period (values in the catalogue's units)."""

    platform_id: int
    period_code: str
    period_label: str
    year: int
    index: int
    values: dict[str, Decimal]


def _plain(value: Decimal) -> Decimal:
    """61000.000000 → 61000 (the stored scale is the column's, not the figure's)."""
    text = f"{value:f}"
    return Decimal(text.rstrip("0").rstrip(".") if "." in text else text)


def platform_reports(platform_ids: Iterable[int] | None = None) -> dict[int, list[PlatformReport]]:
    """platform id → its approved quarterly reports, newest first.

    The one read of approved platform reports: the platform page, the cockpit, the map and the
    API use it, so an approval shows everywhere as soon as its transaction commits."""
    query = Submission.objects.filter(
        requirement__form_code=PLATFORM_FORM, approved_version__isnull=False
    ).select_related("requirement__period")
    if platform_ids is not None:
        query = query.filter(requirement__platform_id__in=list(platform_ids))
    subs = list(query)
    values: dict[int, dict[str, Decimal]] = {}
    for version_id, indicator, value in Fact.objects.filter(
        version_id__in=[s.approved_version_id for s in subs], value__isnull=False
    ).values_list("version_id", "indicator", "value"):
        if value is not None:  # excluded above; this tells the type checker
            values.setdefault(version_id, {})[indicator] = _plain(value)
    out: dict[int, list[PlatformReport]] = {}
    for sub in subs:
        period = sub.requirement.period
        platform_id = sub.requirement.platform_id
        if platform_id is None or sub.approved_version_id is None:  # a platform form, approved
            continue
        out.setdefault(platform_id, []).append(
            PlatformReport(
                platform_id,
                period.code,
                period.label,
                period.year,
                period.index,
                values.get(sub.approved_version_id, {}),
            )
        )
    for reports in out.values():
        reports.sort(key=lambda r: (r.year, r.index), reverse=True)
    return out


def year_end_totals(indicator: str, platform_ids: Iterable[int]) -> dict[int, Decimal]:
    """year → the sum over the platforms of their approved fourth-quarter value.

    A year counts only when every platform's year-end report is approved: a partial sum would
    read as a reduction that did not happen."""
    ids = set(platform_ids)
    by_year: dict[int, dict[int, Decimal]] = {}
    for platform_id, reports in platform_reports(ids).items():
        for r in reports:
            if r.index == 4 and indicator in r.values:
                by_year.setdefault(r.year, {})[platform_id] = r.values[indicator]
    return {
        year: sum(values.values(), Decimal(0))
        for year, values in sorted(by_year.items())
        if set(values) == ids
    }


def report_lines(report: PlatformReport) -> list[tuple[str, str]]:
    """(indicator name, value in its unit) of a report, in the form's column order."""
    from pingtai.reporting.review import amount_text

    catalogue = default_catalogue()
    lines = []
    for code in catalogue.form(PLATFORM_FORM).columns:
        ind = catalogue.indicators[code]
        if ind.numeric and code in report.values:
            value = report.values[code]
            # From 1 亿 up an amount reads in 亿元, as every other amount on the same pages
            # (pingtai.core.numbers); below it, as the form has it.
            big = ind.unit == "万元" and abs(value) >= numbers.WAN_PER_YI
            lines.append((ind.name, numbers.money(value) if big else amount_text(value, ind)))
    return lines


# Profile facts that a platform also reports quarterly: profile field → catalogue indicator.
REPORTED_PROFILE = {"staff_count": "management_staff", "developable_area_mu": "developable_area"}


def reported_profile(report: PlatformReport | None) -> dict[str, Decimal]:
    """The profile facts an approved report gives (they replace the register's assumed ones)."""
    if report is None:
        return {}
    return {f: report.values[i] for f, i in REPORTED_PROFILE.items() if i in report.values}
