"""Changes made in the admin go into the audit log too, with before and after values."""

from __future__ import annotations

import json

from django.contrib import admin
from django.core.serializers.json import DjangoJSONEncoder
from django.forms.models import model_to_dict

from pingtai.audit.models import AuditEvent
from pingtai.audit.services import audit_record


def snapshot(obj) -> dict:
    """A JSON-safe dict of the object's own fields (Decimal and dates as text)."""
    return json.loads(json.dumps(model_to_dict(obj), cls=DjangoJSONEncoder, default=str))


class AuditedAdmin(admin.ModelAdmin):
    def save_model(self, request, obj, form, change):
        before = snapshot(type(obj).objects.get(pk=obj.pk)) if change and obj.pk else None
        super().save_model(request, obj, form, change)
        action = AuditEvent.Action.UPDATE if change else AuditEvent.Action.CREATE
        audit_record(
            action, request=request, obj=obj, before=before, after=snapshot(obj), detail="管理后台"
        )

    def delete_model(self, request, obj):
        before, label = snapshot(obj), str(obj)
        super().delete_model(request, obj)
        audit_record(
            AuditEvent.Action.DELETE,
            request=request,
            before=before,
            detail=f"管理后台删除 {obj._meta.label} {label}",
        )

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)
