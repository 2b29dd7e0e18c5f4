"""Structured logs: a request id on every line of a request, the event id on every line a handler
writes, one access-log line per request."""

from __future__ import annotations

import json
import logging

import pytest

from market.models import Delivery
from market.observability import ContextFilter

pytestmark = pytest.mark.django_db


@pytest.fixture
def logs(caplog):
    """caplog, with the context filter the console handler has (request_id, event_id, subscriber)."""
    caplog.handler.addFilter(ContextFilter())
    caplog.set_level(logging.INFO)
    return caplog


def test_request_id_is_on_every_line_of_the_request(client, logs):
    response = client.get("/api/products/", HTTP_X_REQUEST_ID="trace-me-42")
    assert response["X-Request-ID"] == "trace-me-42"
    lines = [r for r in logs.records if r.request_id == "trace-me-42"]
    assert lines and len(lines) == len(logs.records)


def test_an_insane_request_id_is_replaced(client):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="bad id\nwith newline")
    assert response["X-Request-ID"] != "bad id\nwith newline" and len(response["X-Request-ID"]) == 32


def test_one_access_line_per_request(buyer, token_client, logs):
    token_client(buyer).get("/api/reservations/?status=reserved", HTTP_X_REQUEST_ID="acc-1")
    (line,) = [r for r in logs.records if r.name == "market.access"]
    assert line.method == "GET" and line.route == "api/reservations/" and line.status == 200
    assert line.user_id == buyer.pk and line.request_id == "acc-1" and line.duration_ms >= 0


def test_error_lines_from_django_carry_the_request_id(client, logs):
    client.get("/no/such/page", HTTP_X_REQUEST_ID="lost-1")
    django_lines = [r for r in logs.records if r.name == "django.request"]
    assert django_lines and all(r.request_id == "lost-1" for r in django_lines)


def test_handler_lines_carry_the_event_id(seller, buyer, drain, logs):
    """A durable handler's own log lines name the event it is handling (notice logs each notice)."""
    from product.services import product_register
    from reservation.services import reservation_place

    product = product_register(seller=seller, name="Lamp", price=1000, description="")
    reservation_place(buyer=buyer, product_id=product.pk)
    drain()
    handled = set(
        str(e)
        for e in Delivery.objects.filter(subscriber="notice.notify", status="done").values_list(
            "event__event_id", flat=True
        )
    )
    in_handlers = [r for r in logs.records if r.subscriber != "-"]
    assert in_handlers, "the notice handler logs what it sends"
    assert all(r.event_id != "-" for r in in_handlers)
    notice_lines = [r for r in in_handlers if r.subscriber == "notice.notify"]
    assert notice_lines and {r.event_id for r in notice_lines} == handled


def test_lines_are_json_with_the_context(settings):
    from pythonjsonlogger.json import JsonFormatter

    config = settings.LOGGING["formatters"]["json"]
    formatter = JsonFormatter(config["fmt"], rename_fields=config["rename_fields"])
    record = logging.LogRecord("market.test", logging.INFO, __file__, 1, "hello %s", ("there",), None)
    ContextFilter().filter(record)
    line = json.loads(formatter.format(record))
    assert line["message"] == "hello there" and line["level"] == "INFO"
    assert {"request_id", "event_id", "time", "logger"} <= set(line)
