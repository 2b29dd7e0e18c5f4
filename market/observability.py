"""Logs that can be followed across modules: every line carries the request id and, inside an
event handler, the event id. Metrics hooks live here too so the bus stays readable."""

from __future__ import annotations

import contextvars
import logging
import re
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from contextlib import contextmanager

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
_event_id: contextvars.ContextVar[str] = contextvars.ContextVar("event_id", default="-")
_subscriber: contextvars.ContextVar[str] = contextvars.ContextVar("subscriber", default="-")
_correlation_id: contextvars.ContextVar[str] = contextvars.ContextVar("correlation_id", default="-")
_causation_id: contextvars.ContextVar[str] = contextvars.ContextVar("causation_id", default="-")

_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


@contextmanager
def log_context(
    *,
    event_id: str | None = None,
    subscriber: str | None = None,
    request_id: str | None = None,
    correlation_id: str | None = None,
    causation_id: str | None = None,
):
    tokens = []
    if correlation_id is not None:
        tokens.append((_correlation_id, _correlation_id.set(correlation_id)))
    if causation_id is not None:
        tokens.append((_causation_id, _causation_id.set(causation_id)))
    if event_id is not None:
        tokens.append((_event_id, _event_id.set(event_id)))
    if subscriber is not None:
        tokens.append((_subscriber, _subscriber.set(subscriber)))
    if request_id is not None:
        tokens.append((_request_id, _request_id.set(request_id)))
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


def current_request_id() -> str | None:
    """The id of the HTTP request being served in this context, if any."""
    request_id = _request_id.get()
    return None if request_id == "-" else request_id


class ContextFilter(logging.Filter):
    """Adds request_id, event_id, subscriber, correlation_id and causation_id to every record
    (unless the caller set them)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = _request_id.get()
            if record.request_id == "-":
                # django.request logs after the middleware returned: take the id off the request.
                record.request_id = getattr(getattr(record, "request", None), "request_id", "-")
        if not hasattr(record, "event_id"):
            record.event_id = _event_id.get()
        if not hasattr(record, "subscriber"):
            record.subscriber = _subscriber.get()
        if not hasattr(record, "correlation_id"):
            record.correlation_id = _correlation_id.get()
            if record.correlation_id == "-":
                record.correlation_id = record.request_id  # a request's own lines: it starts the chain
        if not hasattr(record, "causation_id"):
            record.causation_id = _causation_id.get()
        return True


class RequestIdMiddleware:
    """Takes X-Request-ID from the client (if sane) or makes one, and echoes it back."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        with log_context(request_id=request_id):
            response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response


def route_of(request) -> str:
    """The URL pattern that served ``request`` ("api/reservations/<int:pk>/cancel/"), not the raw
    path: bounded cardinality for metrics and logs. Requests answered before URL resolution (a
    shed reservation) are resolved here; no database is involved."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        from django.urls import Resolver404, resolve

        try:
            match = resolve(request.path_info)
        except Resolver404:
            return "<unmatched>"
    return match.route or match.view_name or "<unknown>"


def _user_id(request) -> int | None:
    """The user id if authentication already ran; never triggers a session or token lookup."""
    from django.utils.functional import SimpleLazyObject, empty

    user = request.__dict__.get("user")
    if user is None:
        return None
    if isinstance(user, SimpleLazyObject):
        if user._wrapped is empty:
            return None
        user = user._wrapped
    return user.pk if getattr(user, "is_authenticated", False) else None


access_logger = logging.getLogger("market.access")


class AccessLogMiddleware:
    """One line per request: method, route, status, duration, user id (with the request id the
    filter adds). Place it right after RequestIdMiddleware so it sees every answer."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        duration_ms = round((time.perf_counter() - started) * 1000, 2)
        route = route_of(request)
        status = response.status_code
        level = logging.WARNING if status >= 500 else logging.INFO
        access_logger.log(
            level,
            "%s %s %s %.1fms",
            request.method,
            route,
            status,
            duration_ms,
            extra={
                "method": request.method,
                "route": route,
                "path": request.path,
                "status": status,
                "duration_ms": duration_ms,
                "user_id": _user_id(request),
            },
        )
        return response


# --- signals for metrics -------------------------------------------------------------------
# Modules report what happened with ``emit("delivery_finished", subscriber=..., outcome=...)``;
# market.metrics listens with ``on(...)``. Nobody needs to import prometheus to be measured.
# Names in use: delivery_finished(subscriber, outcome), notification_finished(channel, status),
# breaker_state(breaker, state), breaker_rejected(breaker), deliveries_claimed(size, seconds),
# deliveries_ran(subscriber, size, lags: seconds from each delivery's creation to its completion).

_listeners: dict[str, list[Callable[..., None]]] = defaultdict(list)


def on(name: str, listener: Callable[..., None]) -> None:
    _listeners[name].append(listener)


def emit(name: str, **labels) -> None:
    for listener in _listeners.get(name, ()):
        try:
            listener(**labels)
        except Exception:  # measuring must never break the measured
            logging.getLogger(__name__).exception("metrics listener for %s failed", name)


def delivery_finished(subscriber: str, outcome: str) -> None:
    emit("delivery_finished", subscriber=subscriber, outcome=outcome)
