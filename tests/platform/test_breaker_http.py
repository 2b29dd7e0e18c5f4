"""The breaker in front of the reservation routes: opens under failures, sheds at once without
reaching the view or the database, lets one trial through after the cool-down, closes again; the
rest of the API keeps working meanwhile."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.test import Client, override_settings

from market import resilience
from tests.platform.flaky_urls import SIGNED_IN, flaky

BREAKERS = {
    "reservations": {
        "failure_rate": 0.5,
        "minimum_calls": 10,
        "window_seconds": 10,
        "buckets": 10,
        "cooldown_seconds": 5,
    }
}


@pytest.fixture
def flaky_site(clock):
    flaky.reset()
    with override_settings(ROOT_URLCONF="tests.platform.flaky_urls", CIRCUIT_BREAKERS=BREAKERS):
        resilience.configure(clock=clock)
        yield flaky
    flaky.reset()


def hammer(threads: int, per_thread: int, path: str = "/flaky/reserve/", method: str = "post"):
    """``threads`` clients firing ``per_thread`` requests each, all at once. Returns the responses."""
    responses = []
    lock = threading.Lock()
    start = threading.Barrier(threads)

    def work():
        client = Client(**SIGNED_IN)
        start.wait()
        for _ in range(per_thread):
            response = getattr(client, method)(path)
            with lock:
                responses.append(response)

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    return responses


def shed(response) -> bool:
    return response.status_code == 503 and response.json()["code"] == "try_again_shortly"


def test_opens_fails_fast_tries_once_and_closes_under_concurrent_load(flaky_site, clock):
    breaker = resilience.breakers()["reservations"]

    # 1. The reservation path fails (lock timeouts): the breaker opens after a handful of calls.
    responses = hammer(threads=20, per_thread=10)
    assert breaker.state == resilience.OPEN
    reached = flaky_site.calls
    assert reached < 200, "most of the 200 requests never reached the failing view"
    assert sum(shed(r) for r in responses) == 200 - reached
    for response in filter(shed, responses):
        assert response["Retry-After"] == "5"
        assert response["Content-Type"] == "application/json"

    # 2. While open, nothing reaches the view.
    responses = hammer(threads=20, per_thread=5)
    assert all(shed(r) for r in responses)
    assert flaky_site.calls == reached

    # 3. After the cool-down, exactly one trial goes through; the others are turned away meanwhile.
    clock.advance(5)
    flaky_site.mode = "ok"
    flaky_site.gate = threading.Event()
    flaky_site.entered.clear()  # it was set by the calls of step 1
    trial_thread = threading.Thread(target=lambda: results.append(Client(**SIGNED_IN).post("/flaky/reserve/")))
    results: list = []
    trial_thread.start()
    assert flaky_site.entered.wait(timeout=10)
    assert breaker.state == resilience.HALF_OPEN
    during_trial = hammer(threads=20, per_thread=2)
    assert all(shed(r) and r["Retry-After"] == "1" for r in during_trial)
    assert flaky_site.calls == reached + 1
    flaky_site.gate.set()
    trial_thread.join()
    assert results[0].status_code == 201
    assert breaker.state == resilience.CLOSED

    # 4. Closed again: everything goes through.
    flaky_site.gate = None
    responses = hammer(threads=20, per_thread=5)
    assert Counter(r.status_code for r in responses) == {201: 100}
    assert flaky_site.calls == reached + 1 + 100


def test_database_exceptions_count_as_failures(flaky_site):
    flaky_site.mode = "raise"
    client = Client(raise_request_exception=False, **SIGNED_IN)
    for _ in range(10):
        assert client.post("/flaky/reserve/").status_code == 503
    assert resilience.breakers()["reservations"].state == resilience.OPEN
    response = client.post("/flaky/reserve/")
    assert shed(response)
    assert flaky_site.calls == 10


@pytest.mark.parametrize("mode", ["bug", "bad"])
def test_bugs_and_bad_requests_are_not_what_it_protects(flaky_site, mode):
    flaky_site.mode = mode
    client = Client(raise_request_exception=False, **SIGNED_IN)
    for _ in range(50):
        assert client.post("/flaky/reserve/").status_code in (400, 500)
    assert resilience.breakers()["reservations"].snapshot()["calls_in_window"] == 0
    assert resilience.breakers()["reservations"].state == resilience.CLOSED


def test_unauthenticated_failures_never_move_it(flaky_site):
    """Failing for callers it cannot vouch for (no credentials, or credentials nobody accepted)."""
    for headers in ({}, {"HTTP_AUTHORIZATION": "Token junk"}, {"HTTP_COOKIE": "sessionid=junk"}):
        client = Client(**headers)
        for _ in range(30):
            assert client.post("/flaky/reserve/").status_code == 503
    assert resilience.breakers()["reservations"].snapshot()["calls_in_window"] == 0


def test_an_uncounted_trial_hands_the_trial_on(flaky_site, clock):
    breaker = resilience.breakers()["reservations"]
    breaker.force_open()
    clock.advance(5)
    flaky_site.mode = "fail"
    assert Client(HTTP_AUTHORIZATION="Token junk").post("/flaky/reserve/").status_code == 503  # the trial, uncounted
    assert breaker.state == resilience.HALF_OPEN
    flaky_site.mode = "ok"
    assert Client(**SIGNED_IN).post("/flaky/reserve/").status_code == 201  # the next request is the trial
    assert breaker.state == resilience.CLOSED


def test_other_routes_and_methods_never_pass_through_it(flaky_site):
    resilience.breakers()["reservations"].force_open()
    client = Client(**SIGNED_IN)
    assert client.get("/flaky/read/").status_code == 200
    assert client.post("/flaky/read/").status_code == 200
    flaky_site.mode = "ok"
    assert client.get("/flaky/reserve/").status_code == 201  # only POST is guarded
    assert shed(client.post("/flaky/reserve/"))


# --- the real reservation routes -------------------------------------------------------------


def test_shed_reservations_touch_no_database(market, buyer, token_client, django_assert_num_queries):
    resilience.breakers()["reservations"].force_open()
    client = token_client(buyer)
    with django_assert_num_queries(0):
        api = client.post("/api/reservations/", {"product_id": market.available.pk}, format="json")
        hal = client.post("/reservation", {"productId": market.available.pk}, format="json")
    for response in (api, hal):
        assert response.status_code == 503
        body = response.json()
        assert body["code"] == "try_again_shortly" and body["message"]
        assert 1 <= int(response["Retry-After"]) <= 5


def test_reads_and_payments_keep_working_while_reservations_are_shed(market, buyer, seller, token_client):
    resilience.breakers()["reservations"].force_open()
    client = token_client(buyer)
    assert shed(client.post("/api/reservations/", {"product_id": market.available.pk}, format="json"))
    assert client.get("/api/products/").status_code == 200
    assert client.get(f"/api/products/{market.available.pk}/").status_code == 200
    assert client.get("/api/reservations/").status_code == 200
    assert client.get("/api/payments/").status_code == 200
    assert token_client(seller).get("/products").status_code == 200
    paid = client.post(f"/api/payments/{market.payment.pk}/pay/")
    assert paid.status_code == 200, paid.content
    assert resilience.breakers()["reservations"].state == resilience.OPEN


def test_conflicts_are_answers_not_failures(market, other_buyer, token_client):
    """Reserving a product somebody holds is a 409, however often: the breaker stays closed."""
    client = token_client(other_buyer)
    breaker = resilience.breakers()["reservations"]
    for _ in range(breaker.minimum_calls + 5):
        response = client.post("/api/reservations/", {"product_id": market.held.pk}, format="json")
        assert response.status_code == 409
    assert breaker.state == resilience.CLOSED


def test_operators_see_the_breaker_state(client):
    assert client.get("/ops/breakers").json()["breakers"][0]["state"] == "closed"
    resilience.breakers()["reservations"].force_open()
    body = client.get("/ops/breakers").json()
    (reservations,) = body["breakers"]
    assert reservations["name"] == "reservations" and reservations["state"] == "open"
    assert reservations["retry_after"] >= 1
