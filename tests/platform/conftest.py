"""Fixtures of the platform tests: a fake clock for the breakers, token-authenticated clients, and
the production WSGI application called inside the test's transaction (the small market they use is
tests/conftest.py's ``market``)."""

from __future__ import annotations

import time

import pytest
from django.core import signals
from django.db import close_old_connections
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from market import metrics, resilience
from tests.platform import wsgi as wsgi_calls

# Listeners for the metrics register on import; the web process imports it with its middleware.
assert metrics.registry is not None


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock():
    fake = FakeClock()
    resilience.configure(clock=fake)
    yield fake
    resilience.configure(clock=time.monotonic)


@pytest.fixture
def token_client():
    """``token_client(user)``: an APIClient sending ``Authorization: Token <key>`` (real auth)."""

    def make(user, **extra) -> APIClient:
        token, _ = Token.objects.get_or_create(user=user)
        client = APIClient(**extra)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return make


@pytest.fixture
def wsgi():
    """``call`` inside the test's transaction: the WSGI handler would otherwise close "old"
    connections at each request's start and end (Django's test client switches that off too)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield wsgi_calls.call
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)
