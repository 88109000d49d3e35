from django.contrib import admin

from pingtai.allocation.models import (
    AllocationLine,
    AllocationRun,
    PoolDemand,
    PostEvaluation,
    ProjectProposal,
    QuotaPool,
    StandardLandCommitment,
)
from pingtai.core import terms
from pingtai.runs.admin import RunAdmin


@admin.register(QuotaPool)
class QuotaPoolAdmin(admin.ModelAdmin):
    list_display = ("year", "kind", "total", "created_by", "created_at")
    list_filter = ("kind", "year")


@admin.register(PoolDemand)
class PoolDemandAdmin(admin.ModelAdmin):
    list_display = ("pool", "platform", "demand", "major_demand", "submitted_by")
    list_filter = ("pool",)


class LineInline(admin.TabularInline):
    model = AllocationLine
    extra = 0
    can_delete = False
    fields = (
        "code",
        "name",
        "score",
        "multiplier",
        "floor",
        "cap",
        "demand",
        "ideal",
        "amount",
        "binding",
    )
    readonly_fields = fields


@admin.register(AllocationRun)
class AllocationRunAdmin(RunAdmin):
    list_display = (
        "run_name",
        "pool",
        "level",
        "platform",
        "rule",
        "allocated",
        "surplus",
        "status",
    )
    list_filter = ("status", "level")

    @admin.display(description="规则")
    def rule(self, run: AllocationRun) -> str:
        return f"{terms.rule_name(run.rules_id)}（第 {run.rules_version} 版）"

    inlines = [LineInline]

    # Runs are results of the allocator: only the services create and publish them, so that
    # every stored amount keeps its exact total and its explanation.
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ProjectProposal)
class ProjectProposalAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "platform", "year", "land_source", "land_mu", "major", "status")
    list_filter = ("status", "year", "platform", "major")
    search_fields = ("code", "name", "applicant")
    readonly_fields = ("check_result", "thresholds_id", "thresholds_version", "checked_at")


@admin.register(StandardLandCommitment)
class StandardLandCommitmentAdmin(admin.ModelAdmin):
    list_display = (
        "agreement_no",
        "proposal",
        "signed_on",
        "due_on",
        "investment_intensity",
        "tax_per_mu",
    )


@admin.register(PostEvaluation)
class PostEvaluationAdmin(admin.ModelAdmin):
    list_display = ("commitment", "data_year", "met", "rule", "created_at")
    list_filter = ("met",)

    @admin.display(description="处理规则")
    def rule(self, evaluation: PostEvaluation) -> str:
        return terms.rule_name(evaluation.rules_id)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
