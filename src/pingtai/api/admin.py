from django.contrib import admin, messages

from pingtai.api.models import ApiToken
from pingtai.api.services import token_revoke
from pingtai.core.refusal import Refused


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are created with ``pingtai api-token create`` (the token is shown only there);
    here they can be reviewed and revoked."""

    list_display = [
        "id",
        "user",
        "name",
        "prefix",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = ["user__role"]
    search_fields = ["user__username", "name", "prefix"]
    readonly_fields = [
        "user",
        "name",
        "prefix",
        "created_at",
        "created_by",
        "expires_at",
        "last_used_at",
        "revoked_at",
    ]
    exclude = ["token_hash"]
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="吊销所选令牌")
    def revoke(self, request, queryset):
        for token in queryset:
            try:
                token_revoke(token, actor=request.user, request=request)
            except Refused as refused:
                messages.warning(request, str(refused))
        messages.success(request, "已处理所选令牌")
