"""No anonymous client can switch reservations off, and no header or address trick lifts a limit
(issue 13, findings 1 and 2). Run on PostgreSQL too: the NUL in a Basic-auth username was a
``DataError`` there."""

from __future__ import annotations

import base64
import json

import pytest
from django.test import Client, override_settings
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from market import resilience

pytestmark = pytest.mark.django_db


def basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


@pytest.fixture
def product(seller):
    from product.services import product_register

    return product_register(seller=seller, name="Lamp", price=1000, description="")


# --- 1. credentials the database cannot hold, and the breaker ---------------------------------


@pytest.mark.parametrize(
    "authorization",
    [
        basic("a\x00b", "pw"),
        basic("buyer", "pw\x00"),
        basic("u" * 151, "pw"),
        basic("buyer", "p" * 5000),
        "Token " + "t" * 500,
    ],
)
def test_credentials_the_database_cannot_hold_are_a_401_without_a_query(
    authorization, buyer, product, django_assert_num_queries
):
    client = APIClient()
    with django_assert_num_queries(0):
        response = client.post(
            "/api/reservations/", {"product_id": product.pk}, format="json", HTTP_AUTHORIZATION=authorization
        )
    assert response.status_code == 401, response.content
    assert response.json()["code"] in ("authentication_failed", "not_authenticated")


def test_two_hundred_junk_requests_leave_the_breaker_closed_and_a_buyer_reserves(
    buyer, other_buyer, product, make_user
):
    breaker = resilience.breakers()["reservations"]
    buyer_token = Token.objects.get_or_create(user=buyer)[0].key
    junk = [
        {"HTTP_AUTHORIZATION": basic("a\x00b", "pw")},
        {"HTTP_AUTHORIZATION": basic("x" * 400, "pw")},
        {"HTTP_AUTHORIZATION": basic("buyer", "wrong")},
        {"HTTP_AUTHORIZATION": "Token junk"},
        {"HTTP_AUTHORIZATION": "Token " + "z" * 300},
        {"HTTP_AUTHORIZATION": "Basic !!!not-base64"},
        {},
        {"HTTP_COOKIE": "sessionid=nonsense0123456789"},
        # A signed-in client's bad requests are answers, not failures of the database.
        {"HTTP_AUTHORIZATION": f"Token {buyer_token}", "body": '{"product_id": "x"}'},
        {"HTTP_AUTHORIZATION": f"Token {buyer_token}", "body": "[" * 1000 + "]" * 1000},
        {"HTTP_AUTHORIZATION": f"Token {buyer_token}", "body": '{"product_id": 99999999999999999999}'},
        {"HTTP_AUTHORIZATION": f"Token {buyer_token}", "body": '{"product_id": "\\u0000"}'},
    ]
    statuses = []
    for n in range(200):
        headers = dict(junk[n % len(junk)])
        body = headers.pop("body", json.dumps({"product_id": product.pk}))
        client = Client(raise_request_exception=False)
        path = "/api/reservations/" if n % 2 else "/reservation"
        response = client.post(
            path, body, content_type="application/json", REMOTE_ADDR=f"10.9.{n // 250}.{n % 250}", **headers
        )
        statuses.append(response.status_code)
        assert response.status_code < 500, (n, headers, response.content[:200])
    assert breaker.state == resilience.CLOSED
    assert breaker.snapshot()["failures_in_window"] == 0

    real = APIClient(REMOTE_ADDR="10.200.0.1")
    real.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=other_buyer)[0].key}")
    response = real.post("/api/reservations/", {"product_id": product.pk}, format="json")
    assert response.status_code == 201, response.content
    assert breaker.state == resilience.CLOSED


# --- 2. forwarded headers and sign-in limits -------------------------------------------------


def test_x_forwarded_for_is_ignored_unless_proxies_are_configured():
    from django.test import RequestFactory
    from rest_framework.throttling import BaseThrottle

    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4, 10.0.0.7")
    assert BaseThrottle().get_ident(request) == "10.0.0.1"
    with override_settings(REST_FRAMEWORK={"NUM_PROXIES": 1}):
        assert BaseThrottle().get_ident(request) == "10.0.0.7"  # the address our one proxy saw
    with override_settings(REST_FRAMEWORK={"NUM_PROXIES": 2}):
        assert BaseThrottle().get_ident(request) == "1.2.3.4"


def test_rotating_x_forwarded_for_does_not_lift_the_per_address_limit():
    client = Client()
    statuses = []
    for n in range(70):  # token_ip: 60/min by default
        response = client.post(
            "/api/auth/token/",
            {"username": f"nobody{n}", "password": "x"},
            content_type="application/json",
            HTTP_X_FORWARDED_FOR=f"203.0.113.{n}",
        )
        statuses.append(response.status_code)
    assert 429 in statuses
    assert statuses[-1] == 429


def test_guessing_one_password_from_many_addresses_is_slowed_down(buyer):
    for n in range(10):  # RATE_LIMIT_SIGNIN_USERNAME: 10 failures per 15 minutes
        response = Client(REMOTE_ADDR=f"198.51.100.{n}").post(
            "/api/auth/token/", {"username": "buyer", "password": f"guess{n}"}, content_type="application/json"
        )
        assert response.status_code == 400, response.content
    # From an eleventh address, even the right password waits: the limit is the username's.
    for attempt in (
        lambda c: c.post("/api/auth/token/", {"username": "Buyer", "password": "s3cret-pass"}, "application/json"),
        lambda c: c.get("/api/reservations/", HTTP_AUTHORIZATION=basic("buyer", "s3cret-pass")),
        lambda c: c.post("/admin/login/", {"username": "buyer", "password": "s3cret-pass"}),
    ):
        response = attempt(Client(REMOTE_ADDR="198.51.100.200"))
        assert response.status_code == 429, response.content
        assert response["Content-Type"].startswith("application/json")
        assert response.json()["code"] == "rate_limited"
        assert 1 <= int(response["Retry-After"]) <= 900
    # Another account is not affected.
    other = Client(REMOTE_ADDR="198.51.100.201").post(
        "/api/auth/token/", {"username": "seller", "password": "s3cret-pass"}, content_type="application/json"
    )
    assert other.status_code in (200, 400)


def test_failed_sign_ins_are_limited_per_address_across_usernames(make_user):
    make_user("victim")
    for n in range(50):  # RATE_LIMIT_SIGNIN_IP: 50 failures per 15 minutes
        Client(REMOTE_ADDR="192.0.2.9").get("/api/products/", HTTP_AUTHORIZATION=basic(f"user{n}x", "guess"))
    response = Client(REMOTE_ADDR="192.0.2.9").get("/api/products/", HTTP_AUTHORIZATION=basic("victim", "s3cret-pass"))
    assert response.status_code == 429
    assert (
        Client(REMOTE_ADDR="192.0.2.10")
        .get("/api/products/", HTTP_AUTHORIZATION=basic("victim", "s3cret-pass"))
        .status_code
        == 200
    )


def test_a_limit_reached_just_before_a_window_boundary_still_holds_just_after(make_user):
    """The limit slides: the failures of the last 15 minutes count, wherever the clock's quarter
    hours fall. A fixed window forgot all 50 at 12:30:00 (and CI once met exactly that)."""
    from unittest import mock

    make_user("victim")
    boundary = 1_800_000_000.0  # a multiple of 900 s

    def sign_in_at(moment, username, password):
        with mock.patch("market.accounts.backends.time.time", return_value=moment):
            return Client(REMOTE_ADDR="192.0.2.19").get("/api/products/", HTTP_AUTHORIZATION=basic(username, password))

    for n in range(50):
        sign_in_at(boundary - 0.5, f"u{n}x", "guess")
    response = sign_in_at(boundary + 0.5, "victim", "s3cret-pass")
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 900
    assert sign_in_at(boundary + 830, "victim", "s3cret-pass").status_code == 429
    # Once the failures have left the window (14 to 15 minutes on), the address may sign in again.
    assert sign_in_at(boundary + 900, "victim", "s3cret-pass").status_code == 200


def test_a_right_password_is_not_counted(buyer):
    for _ in range(20):
        assert Client().get("/api/auth/me/", HTTP_AUTHORIZATION=basic("buyer", "s3cret-pass")).status_code == 200
