"""``trace(id)``: a chain of events as a tree, from the log and the deliveries (``manage.py events
trace <id>``). The id may be a request id, a correlation id or an event id (then its chain).

Each event shows who published it; under it come its in-transaction subscribers and its durable
deliveries (state, attempts, when each finished after the event occurred), and under those the
events they published. An event's publisher is not stored: it is the context that owns the
event's aggregate, and the subscriber of that context which handled the cause (an event is
published by its own context; a subscriber id starts with its context's name).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from market.bus import registry
from market.models import Delivery, EventRecord, ScheduledMessage

# The context that owns an aggregate type, where the names differ.
_OWNER = {"user": "accounts"}


@dataclass
class Node:
    record: EventRecord
    deliveries: list[Delivery] = field(default_factory=list)
    # subscriber id (or None: unattributed) -> events it published
    caused: dict[str | None, list[Node]] = field(default_factory=dict)
    publisher: str = ""


@dataclass
class Trace:
    correlation_id: str
    roots: list[Node]
    events: int
    scheduled: list[ScheduledMessage]

    def lines(self) -> list[str]:
        waiting = f", {len(self.scheduled)} scheduled" if self.scheduled else ""
        out = [f"chain {self.correlation_id}: {self.events} event(s){waiting}"]
        for i, root in enumerate(self.roots):
            _render(root, out, "", i == len(self.roots) - 1)
        for message in self.scheduled:
            out.append(f"  (scheduled) {message.type} due {message.due_at.isoformat()} key={message.key or '-'}")
        return out

    def text(self) -> str:
        return "\n".join(self.lines())


def _owner(aggregate_type: str) -> str:
    return _OWNER.get(aggregate_type, aggregate_type)


def _ms(start, end) -> str:
    return f"{(end - start).total_seconds() * 1000:.0f} ms"


def _delivery_text(delivery: Delivery, occurred_at) -> str:
    attempts = f"{delivery.attempts} attempt{'s' if delivery.attempts != 1 else ''}"
    text = f"{delivery.subscriber}: {delivery.status}, {attempts}"
    if delivery.completed_at:
        text += f", done {_ms(occurred_at, delivery.completed_at)} after the event"
    elif delivery.status == Delivery.Status.PENDING:
        text += f", due {delivery.available_at.isoformat(timespec='milliseconds')}"
    if delivery.last_error:
        text += f", last error: {delivery.last_error.splitlines()[-1][:100]}"
    return text


def _render(node: Node, out: list[str], prefix: str, last: bool) -> None:
    r = node.record
    out.append(
        f"{prefix}{'└─ ' if last else '├─ '}#{r.pk} {r.type} {r.aggregate_type}:{r.aggregate_id}"
        f"  by {node.publisher}  at {r.occurred_at.isoformat(timespec='milliseconds')}"
    )
    inner = prefix + ("   " if last else "│  ")
    in_tx = [s for s in registry.subscribers().values() if not s.durable and r.type in s.event_types]
    branches: list[tuple[str, list[Node]]] = [(f"[in transaction] {s.id}", node.caused.get(s.id, [])) for s in in_tx]
    branches += [(_delivery_text(d, r.occurred_at), node.caused.get(d.subscriber, [])) for d in node.deliveries]
    branches += [("(caused)", children) for sid, children in node.caused.items() if sid is None]
    for i, (text, children) in enumerate(branches):
        is_last = i == len(branches) - 1
        out.append(f"{inner}{'└─ ' if is_last else '├─ '}{text}")
        for j, child in enumerate(children):
            _render(child, out, inner + ("   " if is_last else "│  "), j == len(children) - 1)


def correlation_of(identifier: str) -> str:
    """The correlation id ``identifier`` names: an event's chain, or itself."""
    try:
        event_uuid = uuid.UUID(identifier)
    except ValueError:
        return identifier
    found = EventRecord.objects.filter(event_id=event_uuid).values_list("correlation_id", flat=True).first()
    return found or identifier


def trace(identifier: str) -> Trace | None:
    """The chain ``identifier`` belongs to, or None if no event carries it."""
    correlation_id = correlation_of(identifier)
    records = list(EventRecord.objects.filter(correlation_id=correlation_id).order_by("id"))
    if not records:
        return None
    nodes = {str(r.event_id): Node(r) for r in records}
    by_pk = {r.pk: nodes[str(r.event_id)] for r in records}
    for delivery in Delivery.objects.filter(event__in=records).order_by("id"):
        by_pk[delivery.event_id].deliveries.append(delivery)
    roots = []
    for node in nodes.values():
        r = node.record
        cause = nodes.get(r.causation_id)
        owner = _owner(r.aggregate_type)
        if cause is None:
            node.publisher = f"{owner} (request or command {r.causation_id or '?'})"
            roots.append(node)
            continue
        by = _attribute(owner, cause)
        node.publisher = f"{by or owner}"
        cause.caused.setdefault(by, []).append(node)
    scheduled = list(ScheduledMessage.objects.filter(correlation_id=correlation_id).order_by("due_at"))
    return Trace(correlation_id=correlation_id, roots=roots, events=len(records), scheduled=scheduled)


def _attribute(owner: str, cause: Node) -> str | None:
    """Which subscriber of ``cause`` published an event of ``owner``'s aggregate."""
    durable = [d.subscriber for d in cause.deliveries if d.subscriber.split(".")[0] == owner]
    if len(durable) == 1:
        return durable[0]
    in_tx = [
        s.id
        for s in registry.subscribers().values()
        if not s.durable and cause.record.type in s.event_types and s.id.split(".")[0] == owner
    ]
    return in_tx[0] if len(in_tx) == 1 else None
