"""Prometheus metrics, served at ``GET /metrics``.

Families (all prefixed ``market_``):

- ``http_requests_total{method,route,status}`` and ``http_request_duration_seconds{method,route}``:
  ``route`` is the URL pattern (``api/reservations/<int:pk>/cancel/``), never the raw path;
- ``event_deliveries_total{subscriber,outcome}``: outcome done / retry / dead, counted where the
  delivery ran (inline in a web process; in the worker, served by the worker's own endpoint,
  ``EVENTS_WORKER_METRICS_PORT``), and beside it, also per process:
  ``event_claim_seconds`` and ``event_claim_size`` (each claim), ``event_batch_size{subscriber}``
  (deliveries run together) and ``event_lag_seconds{subscriber}`` (creation to completion);
- ``event_backlog{subscriber}``, ``event_failing{subscriber}``, ``event_dead_deliveries{subscriber}``,
  ``event_subscriber_paused{subscriber}``: read from the delivery table at scrape time, so they are
  the same whichever process answers;
- ``circuit_breaker_state{breaker}`` (0 closed, 1 open, 2 half-open; per process),
  ``circuit_breaker_rejected_total{breaker}``, ``circuit_breaker_transitions_total{breaker,state}``;
- ``notifications_total{channel,status}`` (status sent / failed / ...).

Processes: with ``PROMETHEUS_MULTIPROC_DIR`` set (gunicorn with several workers; the directory must
exist and be emptied at start) every worker writes its samples there and a scrape of any worker
aggregates all of them (gunicorn.conf.py's child_exit drops dead workers' gauges). Without it, each
process reports its own counters.

Who may scrape: with ``METRICS_TOKEN`` set, only ``Authorization: Bearer <token>``. Without it,
nobody in production; in development loopback clients (``OPERATOR_LOOPBACK_ALLOWED``: settings
loaded with DEBUG on and no trusted proxy in front, since behind a proxy on the same host every
request comes from loopback), or anyone while DEBUG is on. Same rule for the other ``/ops/`` routes.
"""

from __future__ import annotations

import hmac
import logging
import os
import threading
import time
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpResponse, JsonResponse
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from market import observability, resilience
from market.errors import error_body

logger = logging.getLogger(__name__)

MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
if MULTIPROCESS:  # samples are files there; wiping it at server start is the deployment's job
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)

# The registry the metrics below belong to. In multi-process mode the samples go to files and a
# scrape builds a fresh registry from them (see ``scrape_registry``).
registry = CollectorRegistry(auto_describe=True)

http_requests = Counter(
    "market_http_requests",
    "HTTP requests answered, by route pattern, method and status.",
    ["method", "route", "status"],
    registry=registry,
)
http_duration = Histogram(
    "market_http_request_duration_seconds",
    "Time to answer an HTTP request, by route pattern and method.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=registry,
)
event_deliveries = Counter(
    "market_event_deliveries",
    "Durable event deliveries run in this process, by subscriber and outcome (done, retry, dead).",
    ["subscriber", "outcome"],
    registry=registry,
)
breaker_state = Gauge(
    "market_circuit_breaker_state",
    "Circuit breaker state in this process: 0 closed, 1 open, 2 half-open.",
    ["breaker"],
    registry=registry,
    multiprocess_mode="liveall",
)
breaker_rejected = Counter(
    "market_circuit_breaker_rejected",
    "Requests answered 503 at once because the breaker was open or half-open.",
    ["breaker"],
    registry=registry,
)
breaker_transitions = Counter(
    "market_circuit_breaker_transitions",
    "Breaker state changes, by the state entered.",
    ["breaker", "state"],
    registry=registry,
)
event_claim_seconds = Histogram(
    "market_event_claim_seconds",
    "Time one claim of due deliveries took (SELECT ... SKIP LOCKED and the lease UPDATE).",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0),
    registry=registry,
)
event_claim_size = Histogram(
    "market_event_claim_size",
    "Deliveries per claim (0: nothing was due).",
    buckets=(0, 1, 5, 10, 25, 50, 100, 200, 500),
    registry=registry,
)
event_batch_size = Histogram(
    "market_event_batch_size",
    "Deliveries of one subscriber run together (one transaction, or one call outside any).",
    ["subscriber"],
    buckets=(1, 2, 5, 10, 25, 50, 100, 200),
    registry=registry,
)
event_lag = Histogram(
    "market_event_lag_seconds",
    "From a delivery's creation (its event's commit) to its completion, per subscriber.",
    ["subscriber"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0),
    registry=registry,
)
notifications = Counter(
    "market_notifications",
    "Notifications handed to a channel, by channel and status (sent, failed, ...).",
    ["channel", "status"],
    registry=registry,
)


class BacklogCollector:
    """Backlog per subscriber and dead deliveries, read from the database when scraped."""

    def collect(self):
        from market import bus

        pending = GaugeMetricFamily(
            "market_event_backlog", "Deliveries waiting to run, per durable subscriber.", labels=["subscriber"]
        )
        failing = GaugeMetricFamily(
            "market_event_failing",
            "Pending deliveries that already failed at least once (backing off).",
            labels=["subscriber"],
        )
        dead = GaugeMetricFamily(
            "market_event_dead_deliveries",
            "Deliveries that gave up after the last attempt; requeue with `manage.py events requeue`.",
            labels=["subscriber"],
        )
        paused = GaugeMetricFamily(
            "market_event_subscriber_paused", "1 while an operator has paused the subscriber.", labels=["subscriber"]
        )
        up = GaugeMetricFamily("market_event_backlog_up", "1 if the backlog could be read from the database.")
        try:
            rows = bus.backlog()
        except DatabaseError:
            logger.warning("metrics: backlog unavailable (database error)")
            up.add_metric([], 0)
            yield up
            return
        for row in rows:
            pending.add_metric([row.subscriber], row.pending)
            failing.add_metric([row.subscriber], row.failing)
            dead.add_metric([row.subscriber], row.dead)
            paused.add_metric([row.subscriber], int(row.paused))
        up.add_metric([], 1)
        yield from (pending, failing, dead, paused, up)

    def describe(self):
        return []  # computed at scrape time; no DB access when registering


registry.register(BacklogCollector())


def scrape_registry() -> CollectorRegistry:
    if not MULTIPROCESS:
        return registry
    from prometheus_client import multiprocess

    merged = CollectorRegistry()
    multiprocess.MultiProcessCollector(merged)
    merged.register(BacklogCollector())
    return merged


# --- listeners: modules report through market.observability, never by importing us ----------


def _on_delivery(subscriber: str, outcome: str, **_) -> None:
    event_deliveries.labels(subscriber=subscriber, outcome=outcome).inc()


def _on_notification(channel: str = "unknown", status: str = "unknown", **_) -> None:
    notifications.labels(channel=channel, status=status).inc()


def _on_breaker_state(breaker: str, state: str, **_) -> None:
    breaker_state.labels(breaker=breaker).set(resilience.STATE_VALUES.get(state, -1))
    breaker_transitions.labels(breaker=breaker, state=state).inc()


def _on_breaker_rejected(breaker: str, **_) -> None:
    breaker_rejected.labels(breaker=breaker).inc()


def _on_claimed(size: int, seconds: float, **_) -> None:
    event_claim_seconds.observe(seconds)
    event_claim_size.observe(size)


def _on_ran(subscriber: str, size: int, lags: list[float], **_) -> None:
    event_batch_size.labels(subscriber=subscriber).observe(size)
    lag = event_lag.labels(subscriber=subscriber)
    for seconds in lags:
        lag.observe(seconds)


observability.on("delivery_finished", _on_delivery)
observability.on("deliveries_claimed", _on_claimed)
observability.on("deliveries_ran", _on_ran)
observability.on("notification_finished", _on_notification)
observability.on("breaker_state", _on_breaker_state)
observability.on("breaker_rejected", _on_breaker_rejected)


def _publish_breaker_states() -> None:
    for breaker in resilience.breakers().values():
        breaker_state.labels(breaker=breaker.name).set(resilience.STATE_VALUES[breaker.state])


class MetricsMiddleware:
    """Counts and times every request. Place it right after RequestIdMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response
        _publish_breaker_states()

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        elapsed = time.perf_counter() - started
        route = observability.route_of(request)
        http_requests.labels(method=request.method, route=route, status=str(response.status_code)).inc()
        http_duration.labels(method=request.method, route=route).observe(elapsed)
        return response


# --- who may look ----------------------------------------------------------------------------

_LOOPBACK = {"127.0.0.1", "::1", "::ffff:127.0.0.1"}


def operator_allowed(request) -> bool:
    return _allowed(request.headers.get("Authorization", ""), request.META.get("REMOTE_ADDR", ""))


def _allowed(authorization: str, remote_addr: str) -> bool:
    token = getattr(settings, "METRICS_TOKEN", "")
    if token:
        scheme, _, given = authorization.partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())
    if settings.DEBUG:
        return True
    loopback_allowed = getattr(settings, "OPERATOR_LOOPBACK_ALLOWED", False)
    return loopback_allowed and remote_addr in _LOOPBACK


def operator_denied() -> JsonResponse:
    response = JsonResponse(
        error_body("forbidden", "Operator endpoint: send Authorization: Bearer <METRICS_TOKEN>."), status=403
    )
    response["WWW-Authenticate"] = "Bearer"
    return response


def metrics_view(request):
    if not operator_allowed(request):
        return operator_denied()
    return HttpResponse(generate_latest(scrape_registry()), content_type=CONTENT_TYPE_LATEST)


# --- the event worker's own endpoint ---------------------------------------------------------


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args) -> None:  # scrapes every few seconds would drown the worker's log
        pass


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


def _worker_metrics_app(environ, start_response):
    if environ.get("PATH_INFO") != "/metrics":
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"only /metrics here\n"]
    if not _allowed(environ.get("HTTP_AUTHORIZATION", ""), environ.get("REMOTE_ADDR", "")):
        start_response("403 Forbidden", [("Content-Type", "text/plain"), ("WWW-Authenticate", "Bearer")])
        return [b"send Authorization: Bearer <METRICS_TOKEN>\n"]
    try:
        body = generate_latest(scrape_registry())
    finally:
        connection.close()  # the backlog's query ran on this request thread's own connection
    start_response("200 OK", [("Content-Type", CONTENT_TYPE_LATEST)])
    return [body]


def serve_worker_metrics(port: int, addr: str = "") -> WSGIServer:
    """Serve ``GET /metrics`` on ``port`` from a daemon thread (the event worker has no web server):
    its deliveries, failures, claims, batch sizes and lag, with the web's access rule. With
    ``PROMETHEUS_MULTIPROC_DIR`` set it reports every process writing there, as the web does."""
    server = make_server(addr, port, _worker_metrics_app, server_class=_Server, handler_class=_QuietHandler)
    threading.Thread(target=server.serve_forever, name="worker-metrics", daemon=True).start()
    return server
