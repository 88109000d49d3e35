"""What an enterprise user may read: its own firm's results, and nothing of any other firm.
Every firm page, export, file and API operation reads through these (deny by default, docs/api.md:
a role not named sees nothing)."""

from __future__ import annotations

from django.db.models import QuerySet

from pingtai.accounts.models import User
from pingtai.evaluation.models import EnterpriseResult, EvaluationRun
from pingtai.runs.models import RunStatus

# A firm sees a result once it is shown to it: in 公示, published, or (marked) superseded.
SHOWN_TO_FIRMS = (RunStatus.PUBLICIZED, RunStatus.PUBLISHED, RunStatus.SUPERSEDED)


def own_results(user: User) -> QuerySet[EnterpriseResult]:
    """The enterprise user's own firm's results in runs shown to firms, newest first."""
    if not user.is_authenticated or user.role != User.Role.ENTERPRISE or not user.enterprise_id:
        return EnterpriseResult.objects.none()
    return (
        EnterpriseResult.objects.filter(
            enterprise_id=user.enterprise_id, run__status__in=SHOWN_TO_FIRMS
        )
        .select_related("run")
        .order_by("-run__year", "-run__created_at")
    )


def own_runs(user: User) -> QuerySet[EvaluationRun]:
    return EvaluationRun.objects.filter(pk__in=own_results(user).values("run_id"))
