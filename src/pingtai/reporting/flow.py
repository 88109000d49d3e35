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
"""

from __future__ import annotations

from collections import defaultdict

from pingtai.audit.models import AuditEvent
from pingtai.audit.services import audit_record
from pingtai.core.refusal import Refused
from pingtai.registry.models import County, Enterprise
from pingtai.reporting.models import Submission
from pingtai.standards import gbt4754

ENTERPRISE_LIST = "platform_enterprises"


def apply_approved(submission: Submission, *, user, request=None) -> list[Enterprise]:
    """Bring the register in line with the submission's approved version; returns new firms."""
    requirement = submission.requirement
    if requirement.form_code != ENTERPRISE_LIST or submission.approved_version_id is None:
        return []
    return _register_new_firms(submission, user=user, request=request)


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
