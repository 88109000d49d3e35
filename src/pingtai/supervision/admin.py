from django.contrib import admin

from pingtai.supervision.models import Milestone, ProgressUpdate, Task


class MilestoneInline(admin.TabularInline):
    model = Milestone
    extra = 0


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = ("title", "platform", "owner", "deadline", "status", "progress", "demo")
    list_filter = ("platform", "status", "demo")
    search_fields = ("title", "owner")
    inlines = [MilestoneInline]


@admin.register(ProgressUpdate)
class ProgressUpdateAdmin(admin.ModelAdmin):
    list_display = ("task", "as_of", "progress", "reported_by", "reported_at")
    readonly_fields = ("task", "reported_by", "reported_at", "as_of", "progress", "note")
