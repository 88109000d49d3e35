from django.contrib import admin

from pingtai.core import terms
from pingtai.league.models import LeagueRun, PayPool, PayShare, PlatformResult, TierProposal
from pingtai.runs.admin import MethodRunAdmin


class PlatformResultInline(admin.TabularInline):
    model = PlatformResult
    extra = 0
    can_delete = False
    fields = ("platform_code", "group", "score", "klass", "rank", "p_last", "robust_flag")
    readonly_fields = fields


@admin.register(LeagueRun)
class LeagueRunAdmin(MethodRunAdmin):
    list_display = ("run_name", "cycle", "grouping", "method", "status", "created_at")
    list_filter = ("cycle", "grouping", "status")

    readonly_fields = [f.name for f in LeagueRun._meta.fields]
    inlines = [PlatformResultInline]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(TierProposal)
class TierProposalAdmin(admin.ModelAdmin):
    list_display = (
        "platform",
        "from_tier",
        "to_tier",
        "rule",
        "status",
        "decided_by",
        "decided_at",
    )
    list_filter = ("status",)

    @admin.display(description="规则")
    def rule(self, proposal: TierProposal) -> str:
        return terms.rule_name(proposal.rule_id)

    readonly_fields = [f.name for f in TierProposal._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class PayShareInline(admin.TabularInline):
    model = PayShare
    extra = 0
    can_delete = False
    readonly_fields = ("platform", "score", "amount_wan", "at_floor", "at_cap")


@admin.register(PayPool)
class PayPoolAdmin(admin.ModelAdmin):
    list_display = ("run", "total_wan", "floor_wan", "cap_wan", "created_by", "created_at")
    readonly_fields = [f.name for f in PayPool._meta.fields]
    inlines = [PayShareInline]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
