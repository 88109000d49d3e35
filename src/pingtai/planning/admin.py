from django.contrib import admin

from pingtai.planning.models import Agreement, AgreementParty, ClassificationRun, Settlement


class ReadOnly(admin.ModelAdmin):
    """Changes go through the services (share validation, audit), never through the admin."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ClassificationRun)
class ClassificationRunAdmin(ReadOnly):
    list_display = ("id", "year", "as_of", "status", "created_by", "approved_by", "effective_date")


class PartyInline(admin.TabularInline):
    model = AgreementParty
    extra = 0

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Agreement)
class AgreementAdmin(ReadOnly):
    list_display = ("code", "title", "kind", "start_year", "end_year")
    inlines = [PartyInline]


@admin.register(Settlement)
class SettlementAdmin(ReadOnly):
    list_display = ("agreement", "year", "enterprise_count", "tax_yuan", "created_by", "created_at")
