from django.contrib import admin, messages

from notice.models import Notification, ProductName, Recipient
from notice.services import notification_resend


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("id", "created_at", "recipient_user_id", "kind", "channel", "status", "attempts", "short_text")
    list_filter = ("status", "channel", "kind")
    search_fields = ("text", "recipient_no", "=recipient_user_id", "=event_id", "=uuid")
    actions = ["resend"]
    show_full_result_count = False

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Notification._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.display(description="text")
    def short_text(self, obj: Notification) -> str:
        return obj.text[:60]

    @admin.action(description="Resend selected notifications now", permissions=["change"])
    def resend(self, request, queryset):
        outcomes: dict[str, int] = {}
        for notification in queryset:
            outcome = notification_resend(notification=notification)
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
        summary = ", ".join(f"{n} {outcome}" for outcome, n in sorted(outcomes.items()))
        self.message_user(request, f"Resend: {summary}.", messages.INFO)


@admin.register(Recipient)
class RecipientAdmin(admin.ModelAdmin):
    list_display = ("user_id", "username", "phone")
    search_fields = ("username", "phone")


@admin.register(ProductName)
class ProductNameAdmin(admin.ModelAdmin):
    list_display = ("product_id", "name")
    search_fields = ("name",)
