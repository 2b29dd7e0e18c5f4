"""The bus's tables: the event log, one delivery per (event, durable subscriber), and the
operator's switch per subscriber. Accounts' profile is in market.accounts.models."""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class EventRecord(models.Model):
    """One published event, stored in the publisher's transaction. ``id`` is the log position."""

    event_id = models.UUIDField(unique=True, editable=False)
    type = models.CharField(max_length=64, db_index=True)
    version = models.PositiveSmallIntegerField(default=1)
    aggregate_type = models.CharField(max_length=32)
    aggregate_id = models.CharField(max_length=64)
    occurred_at = models.DateTimeField()
    payload = models.JSONField()
    # The chain this event belongs to (a request id, or the id a command or job started) and
    # what directly caused it (an event id, or the request id for the chain's first events).
    # A database default too: rows inserted by raw SQL (bench seeds, tests) need not name them.
    correlation_id = models.CharField(max_length=64, blank=True, default="", db_default="")
    causation_id = models.CharField(max_length=64, blank=True, default="", db_default="")

    class Meta:
        verbose_name = "event"
        indexes = [
            models.Index(fields=["aggregate_type", "aggregate_id"], name="event_aggregate_idx"),
            models.Index(fields=["correlation_id", "id"], name="event_correlation_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.type} {self.aggregate_type}:{self.aggregate_id}"

    @classmethod
    def of(cls, event) -> EventRecord:
        """The (unsaved) log row for ``event``: its envelope and its payload."""
        return cls(
            event_id=event.event_id,
            type=event.type,
            version=event.version,
            aggregate_type=event.aggregate_type,
            aggregate_id=event.aggregate_id,
            occurred_at=event.occurred_at,
            payload=event.payload(),
            correlation_id=event.correlation_id or "",
            causation_id=event.causation_id or "",
        )

    def to_event(self):
        from market.events import Event

        return Event.from_record(
            type=self.type,
            payload=self.payload,
            event_id=self.event_id,
            occurred_at=self.occurred_at,
            sequence=self.pk,
            correlation_id=self.correlation_id,
            causation_id=self.causation_id,
            version=self.version,
        )


class Delivery(models.Model):
    """The duty of one durable subscriber towards one event: pending until done, or dead."""

    class Status(models.TextChoices):
        PENDING = "pending"
        DONE = "done"
        DEAD = "dead"

    # No index of its own: the unique (event, subscriber) below starts with it and serves its lookups.
    event = models.ForeignKey(EventRecord, on_delete=models.CASCADE, related_name="deliveries", db_index=False)
    subscriber = models.CharField(max_length=100)
    # "<aggregate_type>:<aggregate_id>", copied from the event so ordering needs no join.
    aggregate_key = models.CharField(max_length=100)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    available_at = models.DateTimeField(help_text="Not to be tried before this time (backoff).")
    leased_until = models.DateTimeField(null=True, blank=True)
    lease_owner = models.CharField(max_length=100, blank=True, default="")
    last_error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "deliveries"
        constraints = [models.UniqueConstraint(fields=["event", "subscriber"], name="delivery_once_per_subscriber")]
        indexes = [
            # The worker's claim walks pending deliveries in log order (ORDER BY id LIMIT n), so a
            # backlog behind millions of done rows costs no more than the backlog itself.
            models.Index(fields=["id"], name="delivery_pending_id_idx", condition=Q(status="pending")),
            # Pending deliveries by due time (when many back off, the planner may prefer this one).
            models.Index(fields=["available_at", "id"], name="delivery_due_idx", condition=Q(status="pending")),
            # The ordering guard: "is an earlier delivery for this aggregate still unfinished?" Over
            # every row, not only the pending ones, on purpose: see market.bus.claiming._claimable.
            models.Index(fields=["subscriber", "aggregate_key", "id"], name="delivery_agg_idx"),
            # The backlog per subscriber and status, and retention: a purge walks one subscriber's
            # done deliveries by completion time, within this index (no table scan, no extra index
            # to maintain when a delivery is marked done).
            models.Index(fields=["subscriber", "status", "completed_at"], name="delivery_retention_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.subscriber} <- event #{self.event_id} ({self.status})"


class Subscription(models.Model):
    """Operator's state of a durable subscriber. A paused subscriber's deliveries wait."""

    id = models.CharField(max_length=100, primary_key=True)
    paused = models.BooleanField(default=False)
    changed_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.id} ({'paused' if self.paused else 'running'})"


class ScheduledMessage(models.Model):
    """An event to publish at or after ``due_at`` (market.bus.scheduling). Stored in the
    scheduling transaction, deleted in the one that publishes it: a row here has not fired yet."""

    # Optional, for cancel_scheduled(key) and for scheduling again under the same key (which
    # replaces the earlier message).
    key = models.CharField(max_length=200, unique=True, null=True, blank=True)
    event_id = models.UUIDField(unique=True, editable=False)
    type = models.CharField(max_length=64)
    payload = models.JSONField()
    correlation_id = models.CharField(max_length=64, blank=True, default="")
    causation_id = models.CharField(max_length=64, blank=True, default="")
    due_at = models.DateTimeField(db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "scheduled message"

    def __str__(self) -> str:
        return f"{self.type} at {self.due_at:%Y-%m-%d %H:%M:%S}" + (f" ({self.key})" if self.key else "")
