from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from pingtai.accounts.models import User
from pingtai.audit.admin_mixins import AuditedAdmin


@admin.register(User)
class PingtaiUserAdmin(AuditedAdmin, UserAdmin):
    list_display = ["username", "role", "platform", "department", "is_active", "last_login"]
    list_filter = ["role", "platform", "department", "is_active"]
    fieldsets = (
        *UserAdmin.fieldsets,
        ("角色与范围", {"fields": ("role", "platform", "department")}),
    )
    add_fieldsets = (
        *UserAdmin.add_fieldsets,
        ("角色与范围", {"fields": ("role", "platform", "department")}),
    )
