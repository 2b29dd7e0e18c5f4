"""Who listens to what: the one registry of subscribers, and the blinker signals that call them.

Every handler is called from a send on the signal of the event's type, ``signal(event.type)``,
one send per event:

- in the publisher's transaction: ``send(IN_TRANSACTION, event=e)`` reaches every
  in-transaction subscriber of the type;
- a durable delivery, inline after commit or in the worker: ``send(<subscriber id>, event=e,
  batch=[...])`` reaches that one subscriber. ``batch`` lists the events run together with it
  (in one transaction, for an atomic subscriber); a subscriber that takes lists is called with
  the whole list from the send of its last event, any other with each event from its own send.

A receiver connected for any sender (``signal(t).connect(fn)``: a tracer, a test, a metrics hook)
therefore sees every delivery of every event of type ``t``, the sender telling to whom.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import blinker

from market import observability
from market.bus import correlation
from market.events import EVENT_TYPES, Event

# An in-transaction handler may return a reply to its publisher (``ask``); others return None.
Handler = Callable[[Event], object] | Callable[[list[Event]], None]

signals = blinker.Namespace()

# The sender of in-transaction sends. Durable sends name their subscriber instead, so that one
# delivery reaches exactly one handler while any-sender receivers hear both.
IN_TRANSACTION = "in-transaction"


def signal(event_type: str) -> blinker.NamedSignal:
    """The signal of an event type (``Event.type``)."""
    return signals.signal(event_type)


@dataclass(frozen=True)
class Subscriber:
    id: str
    event_types: tuple[str, ...]
    handler: Handler
    durable: bool
    # Durable only. atomic=False: the handler runs outside any transaction (it talks to the
    # outside world and must be idempotent itself). inline=False: only the worker runs it, so a
    # slow outside world never delays the request that published.
    atomic: bool = True
    inline: bool = True
    # batch=True: the handler takes a list of events (a handful of statements for the lot instead
    # of a few per event): one event when run alone, a claim's deliveries in the worker.
    batch: bool = False

    def receiver(self, sender, *, event: Event, batch: list[Event] | None = None) -> object:
        """What the signal calls; see the module's docstring. Returns an in-transaction
        handler's reply."""
        if not self.batch:
            return self.handler(event)
        elif batch is None:
            self.handler([event])
        elif event is batch[-1]:
            self.handler(batch)
        return None


_registry: dict[str, Subscriber] = {}
# Derived from _registry on first use after a registration; never written otherwise.
_durable_by_type: dict[str, tuple[str, ...]] | None = None


def register(subscriber: Subscriber) -> None:
    global _durable_by_type
    known = _registry.get(subscriber.id)
    if known is not None:
        if known.handler is subscriber.handler:
            return
        raise ValueError(f"subscriber id {subscriber.id!r} is registered twice")
    if not subscriber.event_types:
        raise TypeError("subscribe to at least one event type")
    _registry[subscriber.id] = subscriber
    _durable_by_type = None
    sender = subscriber.id if subscriber.durable else IN_TRANSACTION
    for event_type in subscriber.event_types:
        signal(event_type).connect(subscriber.receiver, sender=sender, weak=False)


def unregister(subscriber_id: str) -> None:
    """Forget a subscriber (tests that register one for a while; the externalizer's tests)."""
    global _durable_by_type
    subscriber = _registry.pop(subscriber_id, None)
    if subscriber is None:
        return
    _durable_by_type = None
    for event_type in subscriber.event_types:
        signal(event_type).disconnect(subscriber.receiver)


def _decorator(event_classes: Iterable[type[Event]], **options) -> Callable[[Handler], Handler]:
    types = tuple(cls.type for cls in event_classes)

    def decorator(handler: Handler) -> Handler:
        register(Subscriber(event_types=types, handler=handler, **options))
        return handler

    return decorator


def in_transaction(*event_classes: type[Event], id: str) -> Callable[[Handler], Handler]:
    """Run inside the publisher's transaction; raising a DomainError vetoes the command."""
    return _decorator(event_classes, id=id, durable=False)


def durable(
    *event_classes: type[Event], id: str, atomic: bool = True, inline: bool = True, batch: bool = False
) -> Callable[[Handler], Handler]:
    """Run after commit, in a transaction of its own, at least once, under a stable id.

    ``atomic=False`` runs the handler outside a transaction (for calls to the outside world; the
    handler must make repeated runs harmless). ``inline=False`` leaves it to the worker.
    ``batch=True``: the handler takes a list of events and does to them what it would do to each
    in turn; it gets one event when a delivery runs alone and a claim's worth in the worker."""
    return _decorator(event_classes, id=id, durable=True, atomic=atomic, inline=inline, batch=batch)


def get(subscriber_id: str) -> Subscriber:
    subscriber = _registry.get(subscriber_id)
    if subscriber is None:
        raise LookupError(f"no subscriber {subscriber_id!r} is registered in this process")
    return subscriber


def subscribers() -> dict[str, Subscriber]:
    return dict(_registry)


def durable_subscribers() -> list[str]:
    return sorted(s.id for s in _registry.values() if s.durable)


def durable_ids_for(event_type: str) -> tuple[str, ...]:
    """The durable subscribers of ``event_type``, in registration order (the order of their deliveries)."""
    global _durable_by_type
    if _durable_by_type is None:
        index: dict[str, list[str]] = {}
        for s in _registry.values():
            if s.durable:
                for t in s.event_types:
                    index.setdefault(t, []).append(s.id)
        _durable_by_type = {t: tuple(ids) for t, ids in index.items()}
    return _durable_by_type.get(event_type, ())


def known_durable(subscriber_id: str) -> None:
    """Raise LookupError unless ``subscriber_id`` is a registered durable subscriber."""
    if subscriber_id not in _registry or not _registry[subscriber_id].durable:
        raise LookupError(f"unknown durable subscriber {subscriber_id!r}; known: {', '.join(durable_subscribers())}")


def call(sender: str, events: list[Event], replies: list[object] | None = None) -> None:
    """Call the handlers ``sender`` names (IN_TRANSACTION, or one durable subscriber's id) with
    ``events``, through their signals: one send per event, in order. In-transaction subscribers'
    replies (what they returned, other than None) are appended to ``replies`` when given."""
    in_transaction = sender == IN_TRANSACTION
    # Log lines name the event being handled; a list-taking handler's name none but their own.
    per_event = in_transaction or len(events) == 1 or not _registry[sender].batch
    with (
        observability.log_context(subscriber=None if in_transaction else sender),
        contextlib.nullcontext() if per_event else correlation.handling_batch(events),
    ):
        for event in events:
            with (
                observability.log_context(event_id=str(event.event_id) if per_event else None),
                correlation.handling(event),
            ):
                if in_transaction:
                    answered = signal(event.type).send(sender, event=event)
                    if replies is not None:
                        replies += [
                            reply
                            for receiver, reply in answered
                            if reply is not None and isinstance(getattr(receiver, "__self__", None), Subscriber)
                        ]
                else:
                    signal(event.type).send(sender, event=event, batch=events)


def catalogue() -> list[tuple[str, str, list[str], list[str]]]:
    """(event type, aggregate, in-transaction subscribers, durable subscribers) for every event,
    generated from the code: the living documentation of who listens to what."""
    rows = []
    for event_type, event_class in sorted(EVENT_TYPES.items()):
        if event_type.startswith("test."):
            continue
        listening = [s for s in _registry.values() if event_type in s.event_types]
        rows.append(
            (
                event_type,
                event_class.aggregate_type,
                sorted(s.id for s in listening if not s.durable),
                sorted(s.id for s in listening if s.durable),
            )
        )
    return rows


def catalogue_markdown() -> str:
    lines = ["| event | about | in the same transaction | after commit (durable) |", "| --- | --- | --- | --- |"]
    for event_type, aggregate, in_tx, durable_ids in catalogue():
        lines.append(
            f"| `{event_type}` | {aggregate} | {', '.join(f'`{s}`' for s in in_tx) or '—'} "
            f"| {', '.join(f'`{s}`' for s in durable_ids) or '—'} |"
        )
    return "\n".join(lines)
