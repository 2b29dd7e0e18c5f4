"""Correlation and causation: which request, command or job started a chain of events, and which
event directly caused each one. The bus stamps them on every event it publishes; apps never pass
them by hand.

- An HTTP request starts a chain: its request id (``X-Request-ID``) is the correlation id of the
  events it publishes, and their causation id.
- A handler's events inherit: correlation from the event being handled, causation = its id. That
  holds in the publisher's transaction, in a durable delivery (inline or in the worker) and for
  a scheduled message when it fires (stamped when it was scheduled).
- A handler that takes a batch of events publishes on behalf of one of them: the bus attributes
  each event it publishes to the batch's event with which it shares the most payload values
  (the ids it carries over: PaymentRequested carries its ProductReserved's reservation, product
  and buyer). ``caused_by(event)`` says it outright where that guess would not do.
- Anything else (a management command, a job, a shell) starts a chain of its own: ``chain()``
  names one explicitly; otherwise each outermost ``publish`` starts one.
"""

from __future__ import annotations

import contextvars
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

from market import observability
from market.events import Event

# The event whose handlers are running in this context (None outside handlers).
_handling: contextvars.ContextVar[Event | None] = contextvars.ContextVar("bus_handling", default=None)
# The events of the batch a list-taking handler is running with (None otherwise).
_batch: contextvars.ContextVar[list[Event] | None] = contextvars.ContextVar("bus_batch", default=None)
# A chain started explicitly (chain()) or implicitly by an outermost publish outside any request.
_chain: contextvars.ContextVar[str | None] = contextvars.ContextVar("bus_chain", default=None)


def new_id() -> str:
    return uuid.uuid4().hex


@contextmanager
def chain(correlation_id: str | None = None) -> Iterator[str]:
    """Start a chain (a management command, a job): events published inside share its id.
    Inside a request or a handler the chain in progress wins."""
    correlation_id = correlation_id or new_id()
    token = _chain.set(correlation_id)
    try:
        with observability.log_context(correlation_id=correlation_id):
            yield correlation_id
    finally:
        _chain.reset(token)


@contextmanager
def implicit_chain() -> Iterator[None]:
    """Around an outermost publish: outside a request, a handler or a chain(), start one, so the
    events published together (and by their in-transaction subscribers) share it."""
    if _handling.get() is not None or _chain.get() is not None or observability.current_request_id():
        yield
        return
    with chain():
        yield


@contextmanager
def handling(event: Event) -> Iterator[None]:
    """While ``event``'s handlers run: what they publish is caused by it, and log lines say so."""
    token = _handling.set(event)
    try:
        with observability.log_context(
            correlation_id=event.correlation_id or "-", causation_id=event.causation_id or "-"
        ):
            yield
    finally:
        _handling.reset(token)


@contextmanager
def handling_batch(events: list[Event]) -> Iterator[None]:
    """While a list-taking handler runs with ``events`` (see the module's docstring)."""
    token = _batch.set(events)
    try:
        yield
    finally:
        _batch.reset(token)


@contextmanager
def caused_by(event: Event) -> Iterator[None]:
    """Publish inside as a consequence of ``event`` (for a batch handler that wants to be exact)."""
    batch_token = _batch.set(None)
    try:
        with handling(event):
            yield
    finally:
        _batch.reset(batch_token)


def _likeliest_cause(event: Event, batch: list[Event]) -> Event:
    """The event of ``batch`` sharing the most payload values with ``event`` (the last on a tie)."""
    values = {(k, v) for k, v in event.payload().items() if isinstance(v, int | str) and v != ""}
    return max(reversed(batch), key=lambda cause: len(values & set(_items(cause))))


def _items(event: Event):
    return ((k, v) for k, v in event.payload().items() if isinstance(v, int | str))


def stamp(event: Event) -> Event:
    """``event`` with its correlation and causation ids set (kept if already set: a scheduled
    message firing keeps the ones it was scheduled with)."""
    if event.correlation_id:
        return event
    cause = _handling.get()
    batch = _batch.get()
    if batch and len(batch) > 1:
        cause = _likeliest_cause(event, batch)
    if cause is not None:
        cause_id = str(cause.event_id)
        return replace(event, correlation_id=cause.correlation_id or cause_id, causation_id=cause_id)
    root = _chain.get() or observability.current_request_id() or new_id()
    return replace(event, correlation_id=root, causation_id=root)
