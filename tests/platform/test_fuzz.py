"""Fuzz the whole API from its OpenAPI schema, in-process: every operation, as a buyer and as a
seller, with generated valid (positive) and invalid (negative: wrong types, out-of-range numbers,
missing or extra fields, NUL bytes in strings) input. Nothing may answer 5xx, every error must be
JSON in the project's shape (never an HTML page), and every answer must match the schema (status
codes, content types, bodies).

Run only this: ``FAST_PASSWORD_HASHER=1 .venv/bin/pytest tests/platform/test_fuzz.py``. The example count
is ``FUZZ_EXAMPLES`` per operation and mode: 60 in CI; ``make fuzz-nightly`` runs 1,000 (README,
"Tests").
"""

from __future__ import annotations

import json
import os

import pytest
import schemathesis
from django.conf import settings as django_settings
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import override_settings
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from market import resilience

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "60"))


def errors_are_json_in_our_shape(ctx, response, case):
    """Every 4xx is ``{"code", "message"[, "details"]}`` as JSON: never an HTML page."""
    if response.status_code < 400:
        return None
    content_type = (response.headers.get("content-type") or [""])[0]
    assert content_type.startswith("application/json"), f"{response.status_code} answered as {content_type}"
    body = json.loads(response.content)
    assert isinstance(body, dict) and body.get("code") and body.get("message"), body
    return None


CHECKS = [
    not_a_server_error,
    errors_are_json_in_our_shape,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def _json_api_schema() -> dict:
    """The app's own schema, limited to JSON request bodies: DRF also accepts form and multipart
    bodies, but schemathesis' WSGI transport cannot send the non-object ones it generates for them."""
    from django.test import Client

    raw = Client().get("/api/schema/?format=json").json()
    for path_item in raw["paths"].values():
        for operation in path_item.values():
            content = operation.get("requestBody", {}).get("content")
            if content and "application/json" in content:
                operation["requestBody"]["content"] = {"application/json": content["application/json"]}
    return raw


schema = schemathesis.openapi.from_dict(_json_api_schema())
# Both modes, said out loud (schemathesis 4's default): the negative one is what finds the 500s.
schema.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
schema.app = get_wsgi_application()  # calls go in-process through the WSGI handler

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

# Generous limits: the fuzzer's hundreds of writes must reach the views, not the rate limiter.
HIGH_RATES = {scope: "100000/min" for scope in ("reserve", "cancel", "pay", "register", "token")}


@pytest.fixture
def tokens(make_user, drain):
    """A seller with products (one reserved, one sold), a buyer holding and owing; their tokens."""
    from payment.models import Payment
    from payment.services import payment_pay
    from product.services import product_register
    from reservation.services import reservation_place

    seller = make_user("fuzzseller", phone="01011112222")
    buyer = make_user("fuzzbuyer", phone="01033334444")
    products = [product_register(seller=seller, name=f"Item {n}", price=1000 * n, description="") for n in range(1, 5)]
    held = reservation_place(buyer=buyer, product_id=products[0].pk)
    sold = reservation_place(buyer=buyer, product_id=products[1].pk)
    drain()
    payment_pay(actor=buyer, payment_id=Payment.objects.get(reservation_id=sold.pk).pk)
    drain()
    assert held.pk
    return {
        role: Token.objects.get_or_create(user=user)[0].key for role, user in (("buyer", buyer), ("seller", seller))
    }


@pytest.fixture(autouse=True)
def keep_the_test_transaction():
    """The WSGI handler closes "old" connections on request start and finish, which would end the
    test's transaction; Django's own test client switches that off the same way."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture(autouse=True)
def generous_limits():
    rest = {**django_settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": HIGH_RATES}
    with override_settings(REST_FRAMEWORK=rest):
        yield
    resilience.configure()


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_api(case, tokens):
    for role in ("buyer", "seller"):
        case.call_and_validate(headers={"Authorization": f"Token {tokens[role]}"}, checks=CHECKS)
