from django.contrib import admin, messages
from django.utils import timezone

from pingtai.audit.admin_mixins import AuditedAdmin
from pingtai.audit.models import AuditEvent
from pingtai.audit.services import audit_record
from pingtai.evaluation.models import EnterpriseFlag, EvaluationRun, Regrade


@admin.register(EnterpriseFlag)
class EnterpriseFlagAdmin(AuditedAdmin):
    list_display = ["enterprise", "year", "flag", "note", "recorded_by", "recorded_at"]
    list_filter = ["year", "flag"]
    search_fields = ["enterprise__uscc", "enterprise__name", "note"]
    raw_id_fields = ["enterprise"]
    exclude = ["recorded_by"]

    def save_model(self, request, obj, form, change):
        obj.recorded_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(Regrade)
class RegradeAdmin(AuditedAdmin):
    """Requested by one official, approved by another: a manual class change needs both."""

    list_display = [
        "enterprise",
        "year",
        "to_class",
        "reason",
        "requested_by",
        "approved_by",
        "approved_at",
    ]
    list_filter = ["year", "to_class"]
    search_fields = ["enterprise__uscc", "enterprise__name", "reason"]
    raw_id_fields = ["enterprise"]
    exclude = ["requested_by", "approved_by", "approved_at"]
    actions = ["approve"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.requested_by = request.user
        super().save_model(request, obj, form, change)

    @admin.action(description="批准所选调整（不能批准本人提出的申请）")
    def approve(self, request, queryset):
        approved = 0
        for regrade in queryset.filter(approved_by__isnull=True):
            if regrade.requested_by_id == request.user.pk:
                messages.warning(request, f"{regrade}：不能批准本人提出的调整")
                continue
            regrade.approved_by, regrade.approved_at = request.user, timezone.now()
            regrade.save(update_fields=["approved_by", "approved_at"])
            audit_record(
                AuditEvent.Action.APPROVE,
                request=request,
                obj=regrade,
                after={"to_class": regrade.to_class, "reason": regrade.reason},
            )
            approved += 1
        messages.success(request, f"已批准 {approved} 项调整，下一次评价运行时生效")


@admin.register(EvaluationRun)
class EvaluationRunAdmin(admin.ModelAdmin):
    """Runs are created and published through the evaluation pages; here they are read-only."""

    list_display = [
        "id",
        "year",
        "method_id",
        "method_version",
        "status",
        "created_at",
        "published_at",
    ]
    list_filter = ["status", "year", "method_id"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
