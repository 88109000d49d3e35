"""Reads of the reporting state that other modules rely on."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pingtai.catalogue import default_catalogue
from pingtai.reporting.models import Requirement, Submission

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
