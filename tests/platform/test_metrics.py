"""Prometheus metrics at /metrics: every family the operators read, and who may read them."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.test import override_settings
from prometheus_client.parser import text_string_to_metric_families

from market import observability, resilience

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def scrape(client, **headers) -> dict[str, list]:
    response = client.get("/metrics", **headers)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain")
    return {f.name: f.samples for f in text_string_to_metric_families(response.content.decode())}


def test_every_family_is_exposed(client, market, buyer, token_client, drain):
    token_client(buyer).get("/api/products/")
    token_client(buyer).post("/api/reservations/", {"product_id": market.held.pk}, format="json")  # 409
    drain()  # the notice worker-only subscriber runs here: deliveries and notifications
    observability.emit("notification_finished", channel="console", status="failed")
    resilience.breakers()["reservations"].force_open()

    families = scrape(client)

    requests = families["market_http_requests"]
    assert any(
        s.labels == {"method": "GET", "route": "api/products/", "status": "200"} and s.value >= 1 for s in requests
    )
    assert any(s.labels["route"] == "api/reservations/" and s.labels["status"] == "409" for s in requests)
    assert all("/api/products/1" not in s.labels["route"] for s in requests), "routes, not raw paths"
    durations = families["market_http_request_duration_seconds"]
    assert any(s.name.endswith("_bucket") and s.labels["route"] == "api/products/" for s in durations)

    deliveries = families["market_event_deliveries"]
    assert any(s.labels["subscriber"] == "notice.notify" and s.labels["outcome"] == "done" for s in deliveries)

    backlog = {s.labels["subscriber"]: s.value for s in families["market_event_backlog"]}
    assert "notice.notify" in backlog and all(v >= 0 for v in backlog.values())
    assert {s.labels["subscriber"] for s in families["market_event_dead_deliveries"]} == set(backlog)
    assert families["market_event_backlog_up"][0].value == 1

    state = {s.labels["breaker"]: s.value for s in families["market_circuit_breaker_state"]}
    assert state["reservations"] == 1  # open
    notifications = {(s.labels["channel"], s.labels["status"]) for s in families["market_notifications"]}
    assert ("console", "failed") in notifications


def test_backlog_counts_pending_and_dead(client, market):
    from market.models import Delivery

    assert not Delivery.objects.exclude(status="done").exists()
    first, second = Delivery.objects.order_by("id")[:2]
    Delivery.objects.filter(pk=first.pk).update(status="pending")
    Delivery.objects.filter(pk=second.pk).update(status="dead")
    families = scrape(client)
    assert sum(s.value for s in families["market_event_backlog"]) == 1
    assert sum(s.value for s in families["market_event_dead_deliveries"]) == 1
    pending = {s.labels["subscriber"]: s.value for s in families["market_event_backlog"]}
    assert pending[first.subscriber] == 1


def test_breaker_state_follows_transitions(client, clock):
    breaker = resilience.breakers()["reservations"]

    def state():
        return {s.labels["breaker"]: s.value for s in scrape(client)["market_circuit_breaker_state"]}["reservations"]

    assert state() == 0
    breaker.force_open()
    assert state() == 1
    clock.advance(breaker.cooldown_seconds)
    permit = breaker.acquire()
    assert state() == 2
    breaker.record(permit, failure=False)
    assert state() == 0


@override_settings(METRICS_TOKEN="s3cret-scrape", DEBUG=False)
@pytest.mark.parametrize("path", ["/metrics", "/ops/breakers", "/ops/backlog"])
def test_operator_routes_want_the_token(client, path):
    for headers in ({}, {"HTTP_AUTHORIZATION": "Bearer wrong"}, {"HTTP_AUTHORIZATION": "Token s3cret-scrape"}):
        response = client.get(path, **headers)
        assert response.status_code == 403
        assert response.json()["code"] == "forbidden"
    assert client.get(path, HTTP_AUTHORIZATION="Bearer s3cret-scrape").status_code == 200


@override_settings(METRICS_TOKEN="", DEBUG=False)
def test_without_a_token_only_loopback_may_scrape(client):
    assert client.get("/metrics", REMOTE_ADDR="10.2.3.4").status_code == 403
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 200


@override_settings(METRICS_TOKEN="", DEBUG=False, OPERATOR_LOOPBACK_ALLOWED=False)
@pytest.mark.parametrize("path", ["/metrics", "/ops/breakers", "/ops/backlog"])
def test_production_never_exposes_them_without_a_token_not_even_to_loopback(client, path):
    """Behind a reverse proxy on the same host every request comes from 127.0.0.1."""
    response = client.get(path, REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"


def test_backlog_route_lists_subscribers(client, market):
    body = client.get("/ops/backlog").json()
    rows = {row["subscriber"]: row for row in body["subscribers"]}
    assert {"pending", "failing", "dead", "done", "paused"} <= set(rows["notice.notify"])


SCRIPT = textwrap.dedent(
    """
    import sys
    import django
    django.setup()
    from django.test import Client
    client = Client()
    for _ in range(int(sys.argv[1])):
        assert client.get("/healthz").status_code == 200
    if sys.argv[2] == "scrape":
        response = client.get("/metrics")
        assert response.status_code == 200, response.status_code
        sys.stdout.write(response.content.decode())
    """
)


def test_multiprocess_mode_adds_up_every_worker(tmp_path):
    """With PROMETHEUS_MULTIPROC_DIR (gunicorn, several workers), any worker's scrape shows all."""
    metrics_dir = tmp_path / "prom"
    metrics_dir.mkdir()
    env = {
        **os.environ,
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        "DJANGO_SETTINGS_MODULE": "market.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'unmigrated.sqlite3'}",
        "DEBUG": "1",
    }

    def run(count: int, then: str) -> str:
        done = subprocess.run(
            [sys.executable, "-c", SCRIPT, str(count), then],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout

    run(3, "no")  # one worker
    text = run(2, "scrape")  # another worker, which answers the scrape
    families = {f.name: f.samples for f in text_string_to_metric_families(text)}
    healthz = [s for s in families["market_http_requests"] if s.labels.get("route") == "healthz"]
    assert sum(s.value for s in healthz if s.name.endswith("_total")) == 5
    assert families["market_event_backlog_up"][0].value == 0  # no tables in that database: said so
    assert list(metrics_dir.iterdir()), "samples are written to the shared directory"
