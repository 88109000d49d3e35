"""Scoped reads: platform users see published runs and only their own platform's lines,
proposals, commitments and post-evaluations; out-of-scope objects answer 404."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet
from django.http import Http404

from pingtai.accounts.models import User
from pingtai.allocation.models import (
    AllocationLine,
    AllocationRun,
    PoolDemand,
    PostEvaluation,
    ProjectProposal,
    QuotaPool,
    StandardLandCommitment,
)

DRAFT_READERS = (User.Role.CITY_ADMIN, User.Role.LEADER)
# Roles that see every platform's allocation data; platform users see their own; no one else.
WHOLE_CITY = (User.Role.CITY_ADMIN, User.Role.LEADER, User.Role.DEPARTMENT)


def _scoped(user: User, rows: QuerySet, platform_field: str) -> QuerySet:
    """Deny by default: the whole city for WHOLE_CITY, own platform for platform users."""
    if user.role in WHOLE_CITY:
        return rows
    if user.role == User.Role.PLATFORM:
        return rows.filter(**{platform_field: user.platform_id})
    return rows.none()


def runs_for(user: User, pool: QuotaPool | None = None) -> QuerySet[AllocationRun]:
    rows = AllocationRun.objects.select_related("pool", "platform", "created_by", "published_by")
    if pool is not None:
        rows = rows.filter(pool=pool)
    if user.role not in DRAFT_READERS:
        rows = rows.filter(status=AllocationRun.Status.PUBLISHED)
    if user.role == User.Role.PLATFORM:
        if user.platform_id is None:  # User.clean refuses a platform user without a platform
            return rows.none()
        return rows.filter(lines__platform_id=user.platform_id).distinct()
    return _scoped(user, rows, "platform_id")


def scoped_run(user: User, pk: int) -> AllocationRun:
    run = runs_for(user).filter(pk=pk).first()
    if run is None:
        raise Http404("没有找到该配置方案，或您无权查看")
    return run


def lines_for(user: User, run: AllocationRun) -> QuerySet[AllocationLine]:
    return _scoped(user, run.lines.select_related("platform", "proposal"), "platform_id")


def demands_for(user: User, pool: QuotaPool) -> QuerySet[PoolDemand]:
    return _scoped(user, pool.demands.select_related("platform", "submitted_by"), "platform_id")


def proposals_for(user: User) -> QuerySet[ProjectProposal]:
    rows = ProjectProposal.objects.select_related("platform", "enterprise", "location_zone")
    return _scoped(user, rows, "platform_id")


def scoped_proposal(user: User, pk: int) -> ProjectProposal:
    proposal = proposals_for(user).filter(pk=pk).first()
    if proposal is None:
        raise Http404("没有找到该项目，或您无权查看")
    return proposal


def commitments_for(user: User) -> QuerySet[StandardLandCommitment]:
    rows = StandardLandCommitment.objects.select_related(
        "proposal__platform", "proposal__enterprise"
    )
    return _scoped(user, rows, "proposal__platform_id")


def commitments_due(user: User, on: dt.date) -> QuerySet[StandardLandCommitment]:
    """Commitments whose agreed review date has come and that have not been reviewed yet."""
    return commitments_for(user).filter(due_on__lte=on, evaluations__isnull=True)


def evaluations_for(user: User) -> QuerySet[PostEvaluation]:
    rows = PostEvaluation.objects.select_related(
        "commitment__proposal__platform", "commitment__proposal__enterprise", "created_by"
    )
    return _scoped(user, rows, "commitment__proposal__platform_id")


def scoped_evaluation(user: User, pk: int) -> PostEvaluation:
    evaluation = evaluations_for(user).filter(pk=pk).first()
    if evaluation is None:
        raise Http404("没有找到该复核记录，或您无权查看")
    return evaluation
