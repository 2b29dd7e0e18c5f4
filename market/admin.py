from django.contrib import admin, messages

from market import bus
from market.models import Delivery, EventRecord, ScheduledMessage, Subscription


class DeliveryInline(admin.TabularInline):
    model = Delivery
    extra = 0
    can_delete = False
    fields = ("subscriber", "status", "attempts", "available_at", "last_error")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(EventRecord)
class EventRecordAdmin(admin.ModelAdmin):
    list_display = ("id", "type", "aggregate_type", "aggregate_id", "occurred_at", "correlation_id", "causation_id")
    list_filter = ("type", "aggregate_type")
    # Filter a chain with ?correlation_id=<id> (a local field: the admin allows the lookup) or search.
    search_fields = ("=event_id", "=aggregate_id", "=correlation_id", "=causation_id")
    readonly_fields = [f.name for f in EventRecord._meta.fields]
    inlines = [DeliveryInline]
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ("id", "subscriber", "event", "status", "attempts", "available_at", "correlation", "short_error")
    list_filter = ("status", "subscriber")
    list_select_related = ("event",)
    # Filter a chain with ?event__correlation_id=<id> (allowed below) or search by it.
    search_fields = ("=event__correlation_id", "=event__causation_id")

    @admin.display(description="correlation", ordering="event__correlation_id")
    def correlation(self, obj: Delivery) -> str:
        return obj.event.correlation_id

    def lookup_allowed(self, lookup, value, request=None) -> bool:
        if lookup in ("event__correlation_id", "event__causation_id"):
            return True
        return super().lookup_allowed(lookup, value, request)

    readonly_fields = [f.name for f in Delivery._meta.fields]
    actions = ["requeue"]
    show_full_result_count = False

    @admin.display(description="last error")
    def short_error(self, obj: Delivery) -> str:
        return obj.last_error[:80]

    @admin.action(description="Requeue selected dead deliveries", permissions=["change"])
    def requeue(self, request, queryset):
        n = bus.requeue(ids=queryset.values_list("id", flat=True))
        self.message_user(request, f"Requeued {n} dead deliveries.", messages.SUCCESS)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        # Fields are read-only; "change" here means the right to requeue.
        return super().has_change_permission(request, obj)


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ("id", "paused", "changed_at")
    list_filter = ("paused",)
    actions = ["pause", "resume"]

    @admin.action(description="Pause selected subscribers", permissions=["change"])
    def pause(self, request, queryset):
        queryset.update(paused=True)

    @admin.action(description="Resume selected subscribers", permissions=["change"])
    def resume(self, request, queryset):
        queryset.update(paused=False)

    def get_queryset(self, request):
        # Show every registered durable subscriber, also the ones never paused.
        Subscription.objects.bulk_create(
            [Subscription(id=sid) for sid in bus.durable_subscribers()], ignore_conflicts=True
        )
        return super().get_queryset(request)


@admin.register(ScheduledMessage)
class ScheduledMessageAdmin(admin.ModelAdmin):
    """Messages waiting for their time; cancel them from code (cancel_scheduled), not here."""

    list_display = ("id", "type", "due_at", "key", "correlation_id")
    search_fields = ("=key", "=correlation_id")
    readonly_fields = [f.name for f in ScheduledMessage._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
