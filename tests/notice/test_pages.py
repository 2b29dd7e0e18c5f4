"""The notifications page names the lifecycle's new kinds (issue 17)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from reservation.services import reservation_expire_due, reservation_place
from tests.support.pages import csrf_post

pytestmark = pytest.mark.django_db(transaction=True)  # inline after-commit dispatch: my-page rows appear


# --- notifications ---------------------------------------------------------------------------------------


def test_notifications_name_the_new_kinds(web, lamp, seller, buyer, other_buyer, drain):
    first = reservation_place(buyer=buyer, product_id=lamp.pk)
    csrf_post(web(seller), f"/shop/reservations/{first.pk}/decline/", {"reason": "Broken"})
    second = reservation_place(buyer=buyer, product_id=lamp.pk)
    reservation_expire_due(now=second.hold_expires_at + timedelta(seconds=1))
    drain()
    page = web(buyer).get("/shop/my/notifications/").content.decode()
    assert '<h2 class="kind kind-declined">Reservation declined</h2>' in page
    assert '<h2 class="kind kind-expired">Reservation expired</h2>' in page
    assert "Broken" in page
    seller_page = web(seller).get("/shop/my/notifications/").content.decode()
    assert '<h2 class="kind kind-hold_expired">Hold expired</h2>' in seller_page
