from django.apps import apps
from django.contrib import admin

from pingtai.audit.models import AuditEvent


def object_type_name(label: str) -> str:
    """The kind of object an event touched as the pages call it (配置方案, not
    allocation.AllocationRun); a model since removed reads 其他对象."""
    if not label:
        return "—"
    try:
        return str(apps.get_model(label)._meta.verbose_name)
    except (LookupError, ValueError):
        return "其他对象"


class ObjectTypeFilter(admin.SimpleListFilter):
    title = "对象类型"
    parameter_name = "object_type"

    def lookups(self, request, model_admin):
        labels = AuditEvent.objects.exclude(object_type="").values_list("object_type", flat=True)
        return sorted(
            ((label, object_type_name(label)) for label in set(labels)), key=lambda c: c[1]
        )

    def queryset(self, request, queryset):
        return queryset.filter(object_type=self.value()) if self.value() else queryset


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the log is viewed, filtered and exported, never edited."""

    list_display = ["at", "actor_username", "ip", "action", "object_kind", "object_repr"]
    list_filter = ["action", ObjectTypeFilter]
    search_fields = ["actor_username", "object_repr", "object_id", "detail"]
    date_hierarchy = "at"
    exclude = ["object_type"]
    readonly_fields = ["object_kind"]

    @admin.display(description="对象类型")
    def object_kind(self, event: AuditEvent) -> str:
        return object_type_name(event.object_type)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
