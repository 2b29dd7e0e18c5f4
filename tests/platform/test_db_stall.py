"""A stalled database (issue 13, finding 3): the proxy between Django and PostgreSQL is frozen with
SIGSTOP, so connections stay open, the kernel still accepts new ones and acknowledges what we send,
and nothing ever comes back. Every request must still answer within a few seconds: 503 JSON with
``Retry-After`` for those that need the database, 200 for ``/healthz``; and everything recovers
once the proxy runs again.

Requests go through the production WSGI application (market.wsgi), as gunicorn calls it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection, connections
from django.test import override_settings

from tests.platform.wsgi import call

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
DEADLINE = 2.0  # DB_REQUEST_DEADLINE_SECONDS for this test (6 by default)
FEW_SECONDS = 5.0  # what "answers within a few seconds" means here: connect_timeout (3) + slack


@pytest.fixture
def frozen_proxy():
    """The default connection routed through a proxy in its own process; the test freezes it."""
    settings_dict = connection.settings_dict
    original = (settings_dict.get("HOST"), settings_dict.get("PORT"))
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.support.pgproxy", original[0] or "127.0.0.1", str(original[1] or 5432)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    port = int(process.stdout.readline())
    connections.close_all()
    settings_dict["HOST"], settings_dict["PORT"] = "127.0.0.1", str(port)
    try:
        yield process
    finally:
        os.kill(process.pid, signal.SIGCONT)
        process.kill()
        process.wait()
        connections.close_all()
        settings_dict["HOST"], settings_dict["PORT"] = original


def timed(*args, **kwargs):
    started = time.monotonic()
    answer = call(*args, **kwargs)
    return answer, time.monotonic() - started


def assert_unavailable(answer) -> None:
    assert answer.status == 503, answer
    assert answer.content_type.startswith("application/json"), answer
    assert int(answer.headers["Retry-After"]) >= 1
    assert answer.json()["code"] in ("database_unavailable", "try_again_shortly"), answer


def json_body(body: dict) -> dict:
    import json

    return {"body": json.dumps(body).encode(), "headers": {"Content-Type": "application/json"}}


@override_settings(DB_REQUEST_DEADLINE_SECONDS=DEADLINE)
def test_a_frozen_database_costs_seconds_and_a_503_never_a_worker(frozen_proxy):
    registered = call("POST", "/api/auth/register/", **json_body({"username": "stallbuyer", "password": "s3cret-pw"}))
    assert registered.status == 201, registered
    token = registered.json()["token"]
    auth = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
    assert call("GET", "/api/reservations/", headers=auth).status == 200
    assert call("GET", "/readyz").status == 200

    os.kill(frozen_proxy.pid, signal.SIGSTOP)

    # The open persistent connection: the query goes out, nothing comes back; the deadline cuts it.
    # (A route that must ask the database: the token is looked up on every request, whereas the
    # catalogue may answer from its cached count.)
    answer, took = timed("GET", "/api/reservations/", headers=auth)
    assert_unavailable(answer)
    assert DEADLINE - 0.5 < took < DEADLINE + 2, took
    # Liveness never waits on the database.
    answer, took = timed("GET", "/healthz")
    assert answer.status == 200 and took < 0.5, (answer, took)
    # New connections: the kernel accepts them, the server never greets; connect_timeout ends it.
    for method, path, headers in (
        ("GET", "/api/auth/me/", auth),
        ("POST", "/api/reservations/", auth),
        ("GET", "/readyz", {}),
        ("GET", "/products", {}),
    ):
        body = b'{"product_id": 1}' if method == "POST" else b""
        answer, took = timed(method, path, body, headers=headers)
        assert took < FEW_SECONDS, (path, took)
        if path == "/readyz":
            assert answer.status == 503 and answer.json()["code"] == "database_unavailable"
        else:
            assert_unavailable(answer)
    answer, took = timed("GET", "/healthz")
    assert answer.status == 200 and took < 0.5

    os.kill(frozen_proxy.pid, signal.SIGCONT)

    deadline = time.monotonic() + 15
    while (answer := call("GET", "/api/products/")).status != 200:
        assert time.monotonic() < deadline, f"no recovery: {answer}"
        time.sleep(0.2)
    assert call("GET", "/api/auth/me/", headers=auth).json()["username"] == "stallbuyer"
    assert call("GET", "/readyz").status == 200


@pytest.mark.parametrize("statement", ["SELECT pg_sleep(10)"])
def test_web_connections_carry_a_statement_timeout_and_others_do_not(statement):
    """A slow statement on a live server is ended by the server after DB_STATEMENT_TIMEOUT_MS,
    on the connections web requests open; the worker's and commands' connections keep none."""
    from market import db_deadline

    connections.close_all()
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == "0"  # not opened by a web request
    connections.close_all()
    token = db_deadline._in_web_request.set(True)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SHOW statement_timeout")
            assert cursor.fetchone()[0] == "5s"
    finally:
        db_deadline._in_web_request.reset(token)
        connections.close_all()
