"""Where approved data goes: the one refresh that runs when a version is approved.

Called by ``workflow.submission_transition`` inside the approval's transaction, so approved
data either reaches every reader or the approval itself does not happen (docs/reporting.md,
"Approved data flows everywhere").

- Platform quarterly reports are read where they are, through ``selectors.platform_reports``:
  the platform page, the cockpit (management bodies and staff by year), the map's platform
  points and the API all ask it, so an approval is visible at once with nothing to copy.
- An approved platform enterprise list registers the firms it names that the register does
  not hold yet: each gets its page and appears in the next department templates (which are
  pre-filled from the register). A firm that cannot be registered (county outside the
  platform) refuses the approval with the reason; nothing is registered half-way.
- An approved annual form (the departments' tax, power, energy, emission and statistics
  figures, the land parcels, the enterprise list) writes its figures into the register's
  yearly rows (``registry.EnterpriseYear``), which the platform page, the firm's page, the
  cockpit, the map and the API read. Each column comes from its one designated form, as the
  亩均 assembly reads it (``evaluation.sources.approved_register_figures``). A firm without a
  row for the year gets one only when the approved forms give every figure of it: a row is
  complete or absent, never padded with zeros that pages would show as reported. The kept
  per-year sums the pages read (``summaries``) are refreshed with them.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from pingtai.audit.models import AuditEvent
from pingtai.audit.services import audit_record
from pingtai.core.refusal import Refused
from pingtai.evaluation.sources import (
    ABOVE_SCALE_REVENUE_WAN,
    LAND_FORM,
    REGISTER_FIELDS,
    approved_register_figures,
)
from pingtai.registry.models import County, Enterprise, EnterpriseYear
from pingtai.reporting.models import ReportingPeriod, Submission
from pingtai.standards import gbt4754
from pingtai.summaries.services import summaries_refresh_figures

ENTERPRISE_LIST = "platform_enterprises"


def apply_approved(submission: Submission, *, user, request=None) -> list[Enterprise]:
    """Bring the register in line with the submission's approved version; returns new firms."""
    requirement = submission.requirement
    if submission.approved_version_id is None:
        return []
    created = []
    if requirement.form_code == ENTERPRISE_LIST:
        created = _register_new_firms(submission, user=user, request=request)
    if (
        requirement.period.kind == ReportingPeriod.Kind.YEAR
        and requirement.form_code in register_forms()
    ):
        _refresh_register_year(submission, user=user, request=request)
    return created


def register_forms() -> set[str]:
    """The annual forms whose approval changes the register's yearly rows."""
    return {form for form, _ in REGISTER_FIELDS.values()} | {LAND_FORM, ENTERPRISE_LIST}


_COLUMNS = [*REGISTER_FIELDS, "land_mu"]
CENT, WHOLE = Decimal("0.01"), Decimal(1)


def _same(a, b) -> bool:
    return a == b if isinstance(a, str) or isinstance(b, str) else Decimal(a) == Decimal(b)


def _refresh_register_year(submission: Submission, *, user, request) -> None:
    year = submission.requirement.period.year
    figures = approved_register_figures(year)
    firms = dict(Enterprise.objects.filter(uscc__in=list(figures)).values_list("uscc", "id"))
    rows = {
        r.enterprise_id: r
        for r in EnterpriseYear.objects.filter(year=year, enterprise_id__in=list(firms.values()))
    }
    sizes = set(EnterpriseYear.SizeClass.values)
    changed: list[EnterpriseYear] = []
    changes: list[dict[str, str]] = []
    new_rows: list[EnterpriseYear] = []
    waiting = 0
    for uscc, values in sorted(figures.items()):
        if uscc not in firms:  # not registered: the assembly lists it as an orphan
            continue
        if values.get("size_class") not in sizes:
            values.pop("size_class", None)
        for column, value in values.items():
            if isinstance(value, Decimal):  # the register keeps cents and whole people
                values[column] = value.quantize(WHOLE if column == "employees" else CENT)
        row = rows.get(firms[uscc])
        if row is None:
            if "size_class" not in values and "revenue_wan" in values:
                above = Decimal(values["revenue_wan"]) >= ABOVE_SCALE_REVENUE_WAN
                values["size_class"] = "规上" if above else "规下"
            if all(c in values for c in [*_COLUMNS, "size_class"]):
                new_rows.append(EnterpriseYear(enterprise_id=firms[uscc], year=year, **values))
            else:
                waiting += 1
            continue
        diff = {c: v for c, v in values.items() if not _same(getattr(row, c), v)}
        for column, value in diff.items():
            changes.append(
                {
                    "uscc": uscc,
                    "field": column,
                    "before": str(getattr(row, column)),
                    "after": str(value),
                }
            )
            setattr(row, column, value)
        if diff:
            changed.append(row)
    if changed:
        EnterpriseYear.objects.bulk_update(changed, [*_COLUMNS, "size_class"], batch_size=500)
    if new_rows:
        EnterpriseYear.objects.bulk_create(new_rows, batch_size=500)
    if changed or new_rows:
        # Pages read the kept per-year sums (summaries app), not the rows: refreshed in the
        # same transaction, as every other write of the yearly figures does.
        summaries_refresh_figures([year])
        created = {r.enterprise_id for r in new_rows}
        audit_record(
            AuditEvent.Action.UPDATE,
            request=request,
            actor=user,
            obj=submission,
            after={
                "year": year,
                "changed": changes,
                "created": sorted(uscc for uscc, pk in firms.items() if pk in created),
            },
            detail=(
                f"{year}年度数据审核通过，企业年度数据更新 {len(changed)} 家、"
                f"新增 {len(new_rows)} 家"
                + (f"，另有 {waiting} 家待各部门数据齐全后计入" if waiting else "")
            ),
        )


def _register_new_firms(submission: Submission, *, user, request) -> list[Enterprise]:
    requirement = submission.requirement
    platform = requirement.platform
    version = submission.approved_version
    if platform is None or version is None:  # the enterprise list is a platform form; approved
        return []
    rows: dict[str, dict[str, str]] = defaultdict(dict)
    for key, indicator, text in version.facts.exclude(text="").values_list(
        "key", "indicator", "text"
    ):
        rows[key][indicator] = text
    known = set(Enterprise.objects.filter(uscc__in=list(rows)).values_list("uscc", flat=True))
    covered = set(platform.counties.values_list("code", flat=True))
    counties = {c.code: c for c in County.objects.filter(code__in=covered)}
    created = []
    for uscc in sorted(set(rows) - known):
        row = rows[uscc]
        county = row.get("county_code", "")
        if county not in counties:
            raise Refused(
                f"名录中的新企业“{row.get('enterprise_name', uscc)}”（{uscc}）所在县（市、区）"
                f"代码“{county or '未填'}”不在{platform.name}覆盖范围内，无法登记；"
                "请退回平台核实后重新上传",
                code="register_county",
            )
        industry = (
            "".join(gbt4754.normalise(row.get("industry_code", "")))
            if row.get("industry_code")
            else ""
        )
        created.append(
            Enterprise.objects.create(
                uscc=uscc,
                name=row.get("enterprise_name", uscc),
                county=counties[county],
                platform=platform,
                industry_code=industry,
            )
        )
    if created:
        audit_record(
            AuditEvent.Action.CREATE,
            request=request,
            actor=user,
            obj=submission,
            after={"registered": [e.uscc for e in created]},
            detail=(
                f"{requirement.period.label}{platform.name}企业名录审核通过，"
                f"新登记企业 {len(created)} 家"
            ),
        )
    return created
