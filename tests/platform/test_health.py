"""Liveness and readiness: fast, unauthenticated; readiness follows the database and migrations."""

from __future__ import annotations

import logging

import pytest
from django.db import OperationalError

from market import health

pytestmark = pytest.mark.django_db


def test_liveness_answers_without_touching_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_ready_when_the_database_answers_and_migrations_are_applied(client, monkeypatch):
    monkeypatch.setattr(health, "_migrations_checked", False)
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready"}


def test_pending_migrations_make_it_not_ready_with_a_warning(client, monkeypatch, caplog):
    monkeypatch.setattr(health, "_migrations_checked", False)
    monkeypatch.setattr(health.MigrationExecutor, "migration_plan", lambda self, targets: [("a migration", False)])
    with caplog.at_level(logging.INFO):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["code"] == "migrations_pending"
    assert response["Retry-After"] == "5"
    warnings = [r for r in caplog.records if r.name == "market.health"]
    assert warnings and all(r.levelno == logging.WARNING for r in warnings)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], "not ready is no error"


def test_an_unreachable_database_makes_it_not_ready(client, monkeypatch, caplog):
    class DeadCursor:
        def __enter__(self):
            raise OperationalError("connection refused")

        def __exit__(self, *exc):
            return False

    monkeypatch.setattr(health.connection, "cursor", lambda: DeadCursor())
    with caplog.at_level(logging.INFO):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["code"] == "database_unavailable"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert client.get("/healthz").status_code == 200  # liveness does not care


def test_probes_need_no_credentials_but_a_known_host(client):
    assert client.get("/healthz", HTTP_HOST="localhost").status_code == 200
    assert client.get("/healthz", HTTP_HOST="evil.example").status_code == 400


class SessionStoreDown:
    """A middleware meeting the outage itself (as session loading would), outside any view."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        raise OperationalError("could not connect to server")


def test_an_outage_met_in_a_middleware_is_a_503_json(client, settings):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "tests.platform.test_health.SessionStoreDown"]
    client.raise_request_exception = False
    response = client.get("/api/products/")
    assert response.status_code == 503
    assert response.json()["code"] == "database_unavailable"
    assert response["Retry-After"] == "5"
