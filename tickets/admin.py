from django.contrib import admin, messages

from tickets.models import APIToken, IdempotencyRecord


@admin.register(APIToken)
class APITokenAdmin(admin.ModelAdmin):
    """Tokens are created with ``manage.py create_api_token`` (the raw value is shown only there);
    the admin lists and revokes them. Only the hash is stored."""

    list_display = ["prefix", "user", "name", "created", "last_used", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["prefix", "user__username", "name"]
    readonly_fields = ["user", "prefix", "created", "last_used"]
    fields = ["user", "name", "prefix", "created", "last_used", "revoked_at"]
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Revoke selected tokens")
    def revoke(self, request, queryset):
        count = 0
        for token in queryset.filter(revoked_at__isnull=True):
            token.revoke()
            count += 1
        self.message_user(request, f"Revoked {count} token(s).", messages.SUCCESS)


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(admin.ModelAdmin):
    list_display = ["key", "account", "user", "state", "ticket_id", "created"]
    list_filter = ["state"]
    search_fields = ["key", "user__username"]
    readonly_fields = ["account", "user", "key", "request_hash", "ticket_id", "response_json", "created", "attempt_started"]

    def has_add_permission(self, request):
        return False
