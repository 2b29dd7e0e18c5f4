"""What the contexts published, read back from the event log."""

from __future__ import annotations

from market.models import EventRecord


def published(event_class, **match):
    found = []
    for record in EventRecord.objects.filter(type=event_class.type).order_by("id"):
        event = record.to_event()
        if all(getattr(event, k) == v for k, v in match.items()):
            found.append(event)
    return found
