from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from pingtai.accounts.models import LoginThrottle, User
from pingtai.audit.admin_mixins import AuditedAdmin


@admin.register(User)
class PingtaiUserAdmin(AuditedAdmin, UserAdmin):
    list_display = ["username", "role", "platform", "department", "is_active", "last_login"]
    list_filter = ["role", "platform", "department", "is_active"]
    fieldsets = (
        *(UserAdmin.fieldsets or ()),
        ("角色与范围", {"fields": ("role", "platform", "department")}),
    )
    add_fieldsets = (
        *UserAdmin.add_fieldsets,
        ("角色与范围", {"fields": ("role", "platform", "department")}),
    )


@admin.register(LoginThrottle)
class LoginThrottleAdmin(AuditedAdmin):
    """Counters are written by the login only; deleting one unlocks that account or address."""

    list_display = ["scope", "username", "ip", "failures", "last_failure_at"]
    list_filter = ["scope"]
    search_fields = ["username", "ip"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
