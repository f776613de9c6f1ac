from django.contrib import admin

from assist.models import AssistSession, Message, SessionAction


class MessageInline(admin.TabularInline):
    model = Message
    extra = 0
    fields = ("role", "text", "failed", "created")
    readonly_fields = ("created",)


class SessionActionInline(admin.TabularInline):
    model = SessionAction
    extra = 0
    fields = ("type", "label", "summary_hint", "status", "created_ticket_id")


@admin.register(AssistSession)
class AssistSessionAdmin(admin.ModelAdmin):
    list_display = ("title", "account", "user", "linked_ticket_id", "updated")
    list_filter = ("account",)
    search_fields = ("title", "user__username", "linked_ticket_summary")
    raw_id_fields = ("user",)
    inlines = [MessageInline, SessionActionInline]


@admin.register(SessionAction)
class SessionActionAdmin(admin.ModelAdmin):
    list_display = ("label", "type", "status", "created_ticket_id", "session", "created")
    list_filter = ("type", "status")
    search_fields = ("label",)
    raw_id_fields = ("session", "message")
