"""A database outage on PostgreSQL, through a proxy the test cuts: every route answers 503 JSON
with Retry-After (authentication included), readiness goes red, liveness stays green, and
everything recovers by itself, with every acknowledged write still there.

Requests go through Django's WSGI handler exactly as gunicorn calls it (request_started and
request_finished fire, so persistent connections are health-checked and recycled as in production).
"""

from __future__ import annotations

import io
import json
import threading

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection, connections
from django.test import override_settings

from market import resilience
from tests.support.pgproxy import TcpProxy

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


class Wsgi:
    """A minimal WSGI server loop in the test's thread."""

    def __init__(self) -> None:
        self.app = WSGIHandler()

    def __call__(self, method: str, path: str, *, body: dict | None = None, token: str | None = None, cookie: str = ""):
        data = json.dumps(body).encode() if body is not None else b""
        path, _, query = path.partition("?")
        environ = {
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "SERVER_NAME": "localhost",
            "SERVER_PORT": "80",
            "HTTP_HOST": "localhost",
            "REMOTE_ADDR": "127.0.0.1",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "CONTENT_TYPE": "application/json",
            "CONTENT_LENGTH": str(len(data)),
            "wsgi.input": io.BytesIO(data),
            "wsgi.errors": io.StringIO(),
            "wsgi.url_scheme": "http",
            "wsgi.version": (1, 0),
            "wsgi.multithread": False,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
        }
        if token:
            environ["HTTP_AUTHORIZATION"] = f"Token {token}"
        if cookie:
            environ["HTTP_COOKIE"] = cookie
        captured = {}

        def start_response(status, headers, exc_info=None):
            captured["status"] = int(status.split()[0])
            captured["headers"] = dict(headers)

        result = self.app(environ, start_response)
        try:
            content = b"".join(result)
        finally:
            result.close()  # fires request_finished, as a WSGI server does
        return Answer(captured["status"], captured["headers"], content)


class Answer:
    def __init__(self, status: int, headers: dict, content: bytes) -> None:
        self.status, self.headers, self.content = status, headers, content

    def json(self):
        return json.loads(self.content)

    def __repr__(self) -> str:
        return f"<{self.status} {self.content[:200]!r}>"


@pytest.fixture
def proxied_db():
    """Route the default connection through a proxy for the duration of the test."""
    settings_dict = connection.settings_dict
    original = (settings_dict.get("HOST"), settings_dict.get("PORT"))
    proxy = TcpProxy((original[0] or "127.0.0.1", int(original[1] or 5432)))
    connections.close_all()
    settings_dict["HOST"], settings_dict["PORT"] = "127.0.0.1", str(proxy.port)
    try:
        yield proxy
    finally:
        proxy.restore()
        connections.close_all()
        settings_dict["HOST"], settings_dict["PORT"] = original
        proxy.close()


def assert_unavailable(answer: Answer, codes=("database_unavailable", "try_again_shortly")) -> None:
    assert answer.status == 503, answer
    assert answer.headers["Content-Type"].startswith("application/json"), answer
    assert int(answer.headers["Retry-After"]) >= 1
    body = answer.json()
    assert body["code"] in codes and body["message"]
    assert b"Traceback" not in answer.content


def test_outage_answers_503_json_and_recovers_without_restart(proxied_db):
    http = Wsgi()
    seller = http("POST", "/api/auth/register/", body={"username": "pgseller", "password": "s3cret-pass"})
    buyer = http("POST", "/api/auth/register/", body={"username": "pgbuyer", "password": "s3cret-pass"})
    assert seller.status == buyer.status == 201, (seller, buyer)
    seller_token, buyer_token = seller.json()["token"], buyer.json()["token"]
    product = http("POST", "/api/products/", body={"name": "Chair", "price": 7000}, token=seller_token)
    assert product.status == 201, product
    reserved = http("POST", "/api/reservations/", body={"product_id": product.json()["id"]}, token=buyer_token)
    assert reserved.status == 201, reserved  # acknowledged: it must survive the outage
    assert http("GET", "/readyz").status == 200
    assert proxied_db.accepted >= 1, "the requests went through the proxy"

    proxied_db.cut()

    assert_unavailable(http("GET", "/api/products/"))
    assert_unavailable(http("GET", "/api/auth/me/", token=buyer_token))  # token lookup before the view
    assert_unavailable(http("GET", "/api/reservations/", token=buyer_token))
    assert_unavailable(http("POST", "/api/reservations/", body={"product_id": 1}, token=buyer_token))
    assert_unavailable(http("POST", "/api/auth/register/", body={"username": "late", "password": "s3cret-pass"}))
    assert_unavailable(http("GET", "/products"))  # the reference's HAL routes
    # The admin, outside DRF: loading the session (from its cookie) is what meets the outage.
    assert_unavailable(http("GET", "/admin/", cookie="sessionid=0123456789abcdefghijklmnopqrstuv"))
    ready = http("GET", "/readyz")
    assert ready.status == 503 and ready.json()["code"] == "database_unavailable"
    assert http("GET", "/healthz").status == 200  # liveness: no restart for a DB outage

    proxied_db.restore()

    first = http("GET", "/api/products/")
    assert first.status == 200, f"the first request after the outage should succeed: {first}"
    assert http("GET", "/readyz").status == 200
    mine = http("GET", "/api/reservations/", token=buyer_token)
    assert mine.status == 200
    assert [r["id"] for r in mine.json()["results"]] == [reserved.json()["id"]]
    assert http("GET", "/api/auth/me/", token=buyer_token).json()["username"] == "pgbuyer"


@override_settings(RESERVATION_LOCK_TIMEOUT_MS=200, RESERVATION_STATEMENT_TIMEOUT_MS=2000)
def test_a_lock_timeout_on_the_reservation_path_is_a_503_and_a_breaker_failure():
    """A product row locked elsewhere: reserving waits at most the lock timeout, then 503."""
    from product.models import Product

    http = Wsgi()
    seller = http("POST", "/api/auth/register/", body={"username": "lockseller", "password": "s3cret-pass"})
    buyer = http("POST", "/api/auth/register/", body={"username": "lockbuyer", "password": "s3cret-pass"})
    product = http("POST", "/api/products/", body={"name": "Lamp", "price": 100}, token=seller.json()["token"])
    product_id = product.json()["id"]
    breaker = resilience.breakers()["reservations"]

    locked, release = threading.Event(), threading.Event()

    def hold_the_row():
        from django.db import transaction

        try:
            with transaction.atomic():
                list(Product.objects.select_for_update().filter(pk=product_id))
                locked.set()
                release.wait(timeout=30)
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold_the_row)
    holder.start()
    try:
        assert locked.wait(timeout=10)
        answer = http("POST", "/api/reservations/", body={"product_id": product_id}, token=buyer.json()["token"])
    finally:
        release.set()
        holder.join()
    assert_unavailable(answer, codes=("busy", "database_unavailable"))  # the reservation service says "busy"
    assert breaker.snapshot()["failures_in_window"] == 1
    # Once the lock is gone, reserving works.
    again = http("POST", "/api/reservations/", body={"product_id": product_id}, token=buyer.json()["token"])
    assert again.status == 201, again
