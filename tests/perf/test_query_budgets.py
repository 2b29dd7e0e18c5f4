"""Query budgets: every endpoint stays within a fixed number of queries, and every list endpoint
uses the same number of queries for 1 item as for 30 (no N+1).

Budgets count the view's own work (clients are force-authenticated; Token/Basic auth adds one
lookup). Writes include the event log: each publish writes the event and its deliveries.
Reserving counts one statement more on PostgreSQL: its timeouts are ``SET LOCAL`` in its own
transaction; and one less: its two events are stored by one statement. A list that fits its page sends no
``COUNT`` (``market.api.CountWhenNeededPaginator``), so ``products.list`` is one query.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.platform.test_permissions import OPERATIONS

pytestmark = pytest.mark.django_db

# operation: (actor, budget)
BUDGETS: dict[str, tuple[str, int]] = {
    "products.list": ("anonymous", 1),
    "products.retrieve": ("anonymous", 1),
    "products.create": ("seller", 5),
    # The scenario lowers the price: ProductPriceLowered is stored too (two statements on SQLite).
    "products.patch": ("seller", 8),
    "products.put": ("seller", 8),
    "products.delete": ("seller", 7),  # its wishes (찜) go with it; notice.wishers hears of it
    "reservations.list": ("buyer", 2),
    "reservations.retrieve": ("buyer", 1),
    "reservations.create": ("other_buyer", 10),
    "reservations.cancel": ("buyer", 13),
    "reservations.decline": ("seller", 13),
    "products.wish": ("buyer", 10),
    "products.unwish": ("buyer", 4),
    "wishes.list": ("buyer", 1),
    "payments.list": ("buyer", 2),
    "payments.retrieve": ("buyer", 1),
    "payments.pay": ("buyer", 6),
    "POST /product": ("seller", 5),
    "GET /products": ("anonymous", 2),
    "POST /reservation": ("other_buyer", 10),
    "GET /reservations": ("buyer", 2),
    "PATCH /reservationupdate": ("buyer", 13),
    "PATCH /paid": ("buyer", 6),
    "GET /payments": ("buyer", 2),
}

assert set(BUDGETS) == set(OPERATIONS)


@pytest.mark.parametrize(("operation", "actor", "budget"), [(op, *spec) for op, spec in BUDGETS.items()])
def test_query_budget(client_for, market, actors, django_assert_max_num_queries, operation, actor, budget):
    client = client_for(actors[actor])
    with django_assert_max_num_queries(budget):
        response = OPERATIONS[operation](client, market)
    assert response.status_code < 300, response.content


def test_paying_by_reservation_id_on_the_reference_route(client_for, market, buyer, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        response = client_for(buyer).patch(
            "/paid",
            {"id": market.payment.pk, "reservationId": market.reservation.pk, "paymentStatus": "02"},
            format="json",
        )
    assert response.status_code == 200


LISTS = {
    "/api/products/?page_size=50": "anonymous",
    "/products?size=50": "anonymous",
    "/api/reservations/?page_size=50": "buyer",
    "/reservations?size=50": "buyer",
    "/api/reservations/?page_size=50&role=seller": "seller",
    "/api/payments/?page_size=50": "buyer",
    "/payments?size=50": "seller",
}


def _queries(client, path: str) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    assert response.status_code == 200
    body = response.json()
    items = body["results"] if "results" in body else next(iter(body["_embedded"].values()))
    return len(ctx), len(items)


@pytest.mark.parametrize(("path", "actor"), LISTS.items())
def test_lists_use_the_same_number_of_queries_for_1_and_30_items(
    client_for, seller, buyer, actors, make_product, reserve, path, actor
):
    client = client_for(actors[actor])
    reserve(buyer, make_product(seller, name="first"))
    one, count_one = _queries(client, path)

    for i in range(29):
        reserve(buyer, make_product(seller, name=f"item{i}"))
    thirty, count_thirty = _queries(client, path)

    assert (count_one, count_thirty) == (1, 30)
    assert one == thirty
