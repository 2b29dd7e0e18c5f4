"""The my-page API as buyers, sellers, strangers and anonymous callers see it."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def deals(trade, seller, buyer, other_buyer):
    """buyer: one paid (Noodle), one cancelled (Desk), one open (Coffee); other_buyer: one open."""
    noodle, desk, coffee, lamp = (
        trade.product(seller, n, p) for n, p in [("Noodle", 3000), ("Desk", 50000), ("Coffee", 4500), ("Lamp", 9000)]
    )
    paid = trade.reserve(buyer, noodle)
    trade.pay(buyer, paid)
    cancelled = trade.reserve(buyer, desk)
    trade.cancel(buyer, cancelled)
    open_ = trade.reserve(buyer, coffee)
    others = trade.reserve(other_buyer, lamp)
    return {"paid": paid, "cancelled": cancelled, "open": open_, "others": others}


def test_buyer_sees_own_rows_newest_first(client_for, buyer, deals):
    response = client_for(buyer).get("/api/mypage/")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [r["reservation_id"] for r in rows] == [deals["open"], deals["cancelled"], deals["paid"]]
    paid = rows[2]
    assert paid["product_name"] == "Noodle" and paid["price"] == 3000 and paid["seller_name"] == "seller"
    assert (paid["reservation_status"], paid["payment_status"], paid["product_status"]) == (
        "completed",
        "paid",
        "sold_out",
    )
    assert (rows[1]["reservation_status"], rows[1]["payment_status"], rows[1]["product_status"]) == (
        "cancelled",
        "voided",
        "available",
    )
    assert (rows[0]["reservation_status"], rows[0]["payment_status"], rows[0]["product_status"]) == (
        "reserved",
        "unpaid",
        "pending",
    )


@pytest.mark.parametrize(
    ("query", "expected"),
    [("status=reserved", ["open"]), ("status=cancelled", ["cancelled"]), ("payment_status=paid", ["paid"])],
)
def test_filters(client_for, buyer, deals, query, expected):
    rows = client_for(buyer).get(f"/api/mypage/?{query}").json()["results"]
    assert [r["reservation_id"] for r in rows] == [deals[k] for k in expected]


def test_an_unknown_filter_value_is_a_400_with_a_code(client_for, buyer, deals):
    response = client_for(buyer).get("/api/mypage/?status=bogus")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_filter"


def test_pagination(client_for, buyer, deals):
    body = client_for(buyer).get("/api/mypage/?page_size=2").json()
    assert body["count"] == 3 and len(body["results"]) == 2 and body["next"]
    assert len(client_for(buyer).get("/api/mypage/?page_size=2&page=2").json()["results"]) == 1


def test_seller_sees_reservations_of_their_products(client_for, seller, deals):
    rows = client_for(seller).get("/api/mypage/sales/").json()["results"]
    assert sorted(r["reservation_id"] for r in rows) == sorted(deals.values())
    assert client_for(seller).get("/api/mypage/").json()["results"] == []


def test_detail_has_the_timeline(client_for, buyer, seller, deals):
    response = client_for(buyer).get(f"/api/mypage/{deals['paid']}/")
    assert response.status_code == 200
    timeline = response.json()["timeline"]
    steps = [(t["event_type"], t["status"]) for t in timeline]
    assert steps[:4] == [
        ("ReservationPlaced", "reserved"),
        ("ProductReserved", "pending"),
        ("PaymentRequested", "unpaid"),
        ("PaymentCompleted", "paid"),
    ]
    # The last two follow PaymentCompleted in two independent contexts, in either order.
    assert set(steps[4:]) == {("ReservationCompleted", "completed"), ("ProductSoldOut", "sold_out")}
    assert client_for(seller).get(f"/api/mypage/{deals['paid']}/").status_code == 200


def test_another_users_row_is_404(client_for, other_buyer, deals):
    response = client_for(other_buyer).get(f"/api/mypage/{deals['paid']}/")
    assert response.status_code == 404
    assert response.json()["code"] == "mypage_row_not_found"
    assert client_for(other_buyer).get("/api/mypage/999999/").status_code == 404
    assert client_for(other_buyer).get(f"/api/mypage/{10**30}/").status_code == 404


@pytest.mark.parametrize("url", ["/api/mypage/", "/api/mypage/sales/", "/api/mypage/1/", "/myPages"])
def test_anonymous_is_refused(anon, url):
    assert anon.get(url).status_code in (401, 403)


def test_myPages_hal_shape_and_codes(client_for, buyer, deals):
    response = client_for(buyer).get("/myPages")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"_embedded", "_links", "page"}
    items = {i["reservationId"]: i for i in body["_embedded"]["myPages"]}
    assert set(items) == {deals["paid"], deals["cancelled"], deals["open"]}
    paid = items[deals["paid"]]
    assert {
        "id",
        "productId",
        "reservationId",
        "paymentId",
        "productName",
        "reservationStatus",
        "paymentStatus",
    } <= set(paid)
    assert (paid["productName"], paid["reservationStatus"], paid["paymentStatus"], paid["productStatus"]) == (
        "Noodle",
        "03",
        "02",
        "soldOut",
    )
    cancelled = items[deals["cancelled"]]
    assert (cancelled["reservationStatus"], cancelled["paymentStatus"], cancelled["productStatus"]) == (
        "02",
        "03",
        "01",
    )
    open_ = items[deals["open"]]
    assert (open_["reservationStatus"], open_["paymentStatus"], open_["productStatus"]) == ("01", "01", "02")
    assert isinstance(open_["paymentId"], int)
    assert body["page"] == {"size": 20, "totalElements": 3, "totalPages": 1, "number": 0}
    assert client_for(buyer).get("/myPages?size=0").status_code == 400


def _rows_for(buyer_id: int, seller_id: int, n: int):
    from datetime import timedelta

    from django.utils import timezone

    from mypage.models import MyPageRow

    now = timezone.now()
    MyPageRow.objects.bulk_create(
        MyPageRow(
            reservation_id=10_000 + i,
            buyer_id=buyer_id,
            seller_id=seller_id,
            product_name=f"p{i}",
            reservation_status="reserved",
            created_at=now + timedelta(seconds=i),
            updated_at=now + timedelta(seconds=i),
        )
        for i in range(n)
    )


@pytest.mark.parametrize("n", [1, 30])
@pytest.mark.parametrize("url", ["/api/mypage/?page_size=50", "/api/mypage/sales/?page_size=50", "/myPages?size=50"])
def test_query_budget_does_not_grow_with_the_page(client_for, buyer, seller, django_assert_max_num_queries, n, url):
    _rows_for(buyer.pk, seller.pk, n)
    client = client_for(seller if "sales" in url else buyer)
    with django_assert_max_num_queries(3):
        response = client.get(url)
    assert response.status_code == 200


@pytest.mark.parametrize("n", [1, 30])
def test_detail_query_budget_does_not_grow_with_the_timeline(
    story, client_for, buyer, drain, django_assert_max_num_queries, n
):
    from tests.support.readside import emit

    s = story()
    evts = s.reserve_events()
    emit(*evts)
    if n > 1:  # a long timeline: many (harmless) product events for the same reservation
        emit(*[s.product_reserved() for _ in range(n)])
    drain()
    with django_assert_max_num_queries(2):
        response = client_for(buyer).get(f"/api/mypage/{s.reservation_id}/")
    assert response.status_code == 200
    assert len(response.json()["timeline"]) >= n
