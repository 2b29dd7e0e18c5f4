"""Reading the event log back, for a read model rebuilt by replaying what it projects (the log is
never purged: see ``operations.purge``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from market.models import EventRecord

if TYPE_CHECKING:
    from market.events import Event


def logged_events(types: Iterable[str], *, after: int = 0, limit: int = 500) -> list[Event]:
    """Up to ``limit`` events of ``types`` from the log, in log order, after position ``after``
    (an event's ``sequence``): a replay reads the log page by page, passing the last one's."""
    records = EventRecord.objects.filter(type__in=list(types), id__gt=after).order_by("id")[:limit]
    return [record.to_event() for record in records]


def logged_count(types: Iterable[str]) -> int:
    """How many events of ``types`` the log holds (a replay's total, for a progress bar)."""
    return EventRecord.objects.filter(type__in=list(types)).count()
