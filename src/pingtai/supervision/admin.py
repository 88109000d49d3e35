from django.contrib import admin

from pingtai.supervision.models import Milestone, ProgressUpdate, Task


class ReadOnly:
    """Changes go through the services (scope, date rules, audit), never through the admin."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class MilestoneInline(ReadOnly, admin.TabularInline):
    model = Milestone
    extra = 0


@admin.register(Task)
class TaskAdmin(ReadOnly, admin.ModelAdmin):
    list_display = (
        "title",
        "platform",
        "owner",
        "deadline",
        "status",
        "progress",
        "confirmed_at",
        "demo",
    )
    list_filter = ("platform", "status", "demo")
    search_fields = ("title", "owner")
    inlines = [MilestoneInline]


@admin.register(ProgressUpdate)
class ProgressUpdateAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ("task", "as_of", "progress", "reported_by", "reported_at")
