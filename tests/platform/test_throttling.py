"""Rate limits on the write commands: per user and per IP, 429 JSON with Retry-After, shared by
every process through Redis."""

from __future__ import annotations

import uuid

import pytest
from django.conf import settings
from django.test import RequestFactory, override_settings
from rest_framework.request import Request

from market import errors
from market.throttling import WriteCommandThrottle, parse_rate

pytestmark = pytest.mark.django_db


def rates(**scopes):
    return override_settings(REST_FRAMEWORK={**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": scopes})


def reserve(client, product_id=999_999, **extra):
    return client.post("/api/reservations/", {"product_id": product_id}, format="json", **extra)


def assert_rate_limited(response, period: int = 60) -> dict:
    assert response.status_code == 429
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["code"] == "rate_limited" and body["message"]
    assert 1 <= int(response["Retry-After"]) <= period
    return body


@pytest.mark.parametrize(
    ("text", "parsed"),
    [("30/min", (30, 60)), ("5/s", (5, 1)), ("100/hour", (100, 3600)), ("7/day", (7, 86400)), ("10/5m", (10, 300))],
)
def test_rates_parse(text, parsed):
    assert parse_rate(text) == parsed


def test_bad_rate_is_refused():
    with pytest.raises(ValueError):
        parse_rate("3/fortnight")


def test_per_user_limit_answers_429_with_retry_after(buyer, other_buyer, token_client):
    with rates(reserve="2/min", reserve_ip="100/min"):
        client = token_client(buyer)
        assert reserve(client).status_code == 404  # counted, whatever the answer
        assert reserve(client).status_code == 404
        body = assert_rate_limited(reserve(client))
        assert body["details"]["scope"] == "reserve"
        # Another user from the same address still has their own allowance.
        assert reserve(token_client(other_buyer)).status_code == 404


def test_per_ip_limit_covers_many_accounts(make_user, token_client):
    with rates(reserve="100/min", reserve_ip="2/min"):
        users = [make_user() for _ in range(3)]
        assert reserve(token_client(users[0])).status_code == 404
        assert reserve(token_client(users[1])).status_code == 404
        assert_rate_limited(reserve(token_client(users[2])))
        assert reserve(token_client(users[2]), REMOTE_ADDR="10.0.0.9").status_code == 404


def test_limits_can_be_switched_off_for_load_tests(buyer, token_client):
    with rates(reserve="1/min"), override_settings(RATE_LIMITS_ENABLED=False):
        client = token_client(buyer)
        for _ in range(3):
            assert reserve(client).status_code == 404


def test_reads_are_never_limited(buyer, token_client):
    with rates(reserve="1/min"):
        client = token_client(buyer)
        for _ in range(5):
            assert client.get("/api/reservations/").status_code == 200
        assert reserve(client).status_code == 404
        assert_rate_limited(reserve(client))


def test_anonymous_registration_is_limited_by_ip(client):
    with rates(register="2/hour"):
        for n in range(2):
            response = client.post(
                "/api/auth/register/", {"username": f"newbie{n}", "password": "s3cret-pass"}, "application/json"
            )
            assert response.status_code == 201
        response = client.post(
            "/api/auth/register/", {"username": "newbie9", "password": "s3cret-pass"}, "application/json"
        )
        assert_rate_limited(response, period=3600)


def test_each_write_scope_counts_separately(market, buyer, token_client):
    with rates(reserve="1/min", pay="1/min", cancel="1/min"):
        client = token_client(buyer)
        assert reserve(client).status_code == 404
        assert_rate_limited(reserve(client))
        assert client.post(f"/api/payments/{market.payment.pk}/pay/").status_code == 200
        assert_rate_limited(client.post(f"/api/payments/{market.payment.pk}/pay/"))


def test_drf_throttled_speaks_the_same_429():
    from rest_framework.exceptions import Throttled

    response = errors.api_exception_handler(Throttled(wait=12.3), {})
    assert response.status_code == 429
    assert response.data["code"] == "rate_limited"
    assert response["Retry-After"] == "13"


class BrokenCache:
    def add(self, *args, **kwargs):
        raise ConnectionError("cache down")

    def incr(self, *args, **kwargs):
        raise ConnectionError("cache down")


class View:
    throttle_scope = "reserve"


def drf_post(ip="10.1.1.1"):
    return Request(RequestFactory().post("/api/reservations/", REMOTE_ADDR=ip))


def test_a_cache_outage_lets_requests_through():
    throttle = WriteCommandThrottle()
    throttle.cache = BrokenCache()
    with rates(reserve="1/min"):
        for _ in range(3):
            assert throttle.allow_request(drf_post(), View())


# --- shared by every process through Redis ---------------------------------------------------

REDIS_LOCATION = "redis://127.0.0.1:6379/7"


@pytest.fixture
def redis_caches():
    """Two independent cache clients on one Redis database: two processes' view of it."""
    from django_redis.cache import RedisCache

    prefix = f"ops-test-{uuid.uuid4().hex[:8]}"
    options = {"OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1}, "KEY_PREFIX": prefix}
    first, second = RedisCache(REDIS_LOCATION, options), RedisCache(REDIS_LOCATION, options)
    try:
        first.get("ping")
    except Exception as exc:  # pragma: no cover - depends on the machine
        pytest.skip(f"Redis not reachable at {REDIS_LOCATION}: {exc}")
    yield first, second
    first.delete_pattern("*")  # only this test's prefix


def test_processes_share_the_limit_through_redis(redis_caches):
    first, second = WriteCommandThrottle(), WriteCommandThrottle()
    first.cache, second.cache = redis_caches
    with rates(reserve="3/min"):
        allowed = []
        for throttle in (first, second, first, second):
            try:
                allowed.append(throttle.allow_request(drf_post(), View()))
            except errors.RateLimited as exc:
                assert exc.retry_after >= 1
                allowed.append(False)
    assert allowed == [True, True, True, False]


def test_a_limit_holds_across_the_minute_boundary(buyer, token_client):
    """The window slides: requests just before hh:mm:00 still count just after it (a fixed window
    forgot them and let a burst straddling the boundary through at twice the rate)."""
    from unittest import mock

    minute = 1_800_000_000.0  # a multiple of 60 s
    client = token_client(buyer)
    with rates(reserve="2/min", reserve_ip="100/min"):
        with mock.patch("market.throttling.time.time", return_value=minute - 0.5):
            assert reserve(client).status_code == 404
            assert reserve(client).status_code == 404
        with mock.patch("market.throttling.time.time", return_value=minute + 0.5):
            assert_rate_limited(reserve(client))
        with mock.patch("market.throttling.time.time", return_value=minute + 60):
            assert reserve(client).status_code == 404
