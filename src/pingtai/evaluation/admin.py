from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied

from pingtai.audit.admin_mixins import AuditedAdmin
from pingtai.core.refusal import Refused
from pingtai.evaluation import regrades
from pingtai.evaluation.models import EnterpriseFlag, EvaluationRun, Regrade
from pingtai.evaluation.regrades import REGRADE_ROLES
from pingtai.runs.admin import MethodRunAdmin


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
class RegradeAdmin(admin.ModelAdmin):
    """Requested by one city administrator, approved by another (pingtai.evaluation.regrades):
    every write goes through those services, which audit it; an approved regrade is read-only."""

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
    fields = ["enterprise", "year", "to_class", "reason"]
    actions = ["approve"]

    def has_add_permission(self, request):
        return request.user.role in REGRADE_ROLES and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        if obj is not None and (obj.is_approved or obj.requested_by_id != request.user.pk):
            return False
        return request.user.role in REGRADE_ROLES and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False  # a request that is not approved stays on record as not approved

    def get_readonly_fields(self, request, obj=None):
        return ["enterprise", "year"] if obj is not None else []

    def save_model(self, request, obj, form, change):
        try:
            if change:
                regrades.regrade_revise(
                    obj,
                    to_class=obj.to_class,
                    reason=obj.reason,
                    user=request.user,
                    request=request,
                )
            else:
                saved = regrades.regrade_request(
                    obj.enterprise,
                    obj.year,
                    obj.to_class,
                    obj.reason,
                    user=request.user,
                    request=request,
                )
                obj.pk = saved.pk
        except Refused as refused:
            raise PermissionDenied(refused.message) from None

    @admin.action(description="批准所选调整（不能批准本人提出的申请）")
    def approve(self, request, queryset):
        approved = 0
        for regrade in queryset.filter(approved_by__isnull=True):
            try:
                regrades.regrade_approve(regrade, user=request.user, request=request)
            except Refused as refused:
                messages.warning(request, refused.message)
                continue
            approved += 1
        messages.success(request, f"已批准 {approved} 项调整，下一次评价运行时生效")


@admin.register(EvaluationRun)
class EvaluationRunAdmin(MethodRunAdmin):
    """Runs are created and published through the evaluation pages; here they are read-only."""

    list_display = ["run_name", "year", "method", "status", "created_at", "published_at"]
    list_filter = ["status", "year"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
