"""The reservation's request path stays lean: the hold returns the listing in its own UPDATE, the
command learns the copied listing without reading its row back, the timeouts bound only the
reservation's own transaction (PostgreSQL)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from product.models import Product
from product.services import product_register
from reservation.models import Reservation
from reservation.services import reservation_place


def _statements(ctx: CaptureQueriesContext) -> list[str]:
    """The first keyword of each statement, leaving out the timeouts' set_config (PostgreSQL)."""
    return [q["sql"].strip().split()[0].upper() for q in ctx.captured_queries if "set_config" not in q["sql"]]


@pytest.mark.django_db
def test_reserving_holds_with_one_statement_and_reads_nothing_back(seller, buyer):
    product = product_register(seller=seller, name="Desk", price=50000)
    with CaptureQueriesContext(connection) as ctx:
        reservation = reservation_place(buyer=buyer, product_id=product.pk)
    # The instance returned is complete, and equal to the stored row.
    assert (reservation.seller_id, reservation.product_name, reservation.price) == (seller.pk, "Desk", 50000)
    stored = Reservation.objects.get(pk=reservation.pk)
    assert (stored.seller_id, stored.product_name, stored.price) == (seller.pk, "Desk", 50000)
    assert stored.updated_at == reservation.updated_at
    # No SELECT at all: the hold is an UPDATE ... RETURNING, the listing is not read back.
    kinds = _statements(ctx)
    assert "SELECT" not in kinds, ctx.captured_queries
    assert kinds.count("UPDATE") == 2, ctx.captured_queries  # the hold, the listing copy
    product.refresh_from_db()
    assert (product.status, product.held_by_reservation_id) == (Product.Status.PENDING, reservation.pk)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("setup", "code"),
    [("missing", "product_not_found"), ("own", "own_product"), ("taken", "product_unavailable")],
)
def test_the_hold_still_names_why_it_vetoes(seller, buyer, other_buyer, setup, code):
    from market.errors import DomainError

    product = product_register(seller=seller, name="Lamp", price=100)
    who, product_id = buyer, product.pk
    if setup == "missing":
        product_id = product.pk + 1000
    elif setup == "own":
        who = seller
    else:
        reservation_place(buyer=other_buyer, product_id=product.pk)
    before = Reservation.objects.count()
    with pytest.raises(DomainError) as caught:
        reservation_place(buyer=who, product_id=product_id)
    assert caught.value.code == code
    assert Reservation.objects.count() == before


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_reservation_timeouts_bound_its_transaction_only(seller, buyer, settings):
    product = product_register(seller=seller, name="p", price=100)
    settings.RESERVATION_LOCK_TIMEOUT_MS = 250
    with CaptureQueriesContext(connection) as ctx:
        reservation_place(buyer=buyer, product_id=product.pk)
    # Once, in the reservation's transaction (inline deliveries after it set only their own
    # synchronous_commit).
    assert sum("set_config('lock_timeout'" in q["sql"] for q in ctx.captured_queries) == 1
    with connection.cursor() as cursor:  # the next statement on this connection is not bounded
        cursor.execute("SHOW lock_timeout")
        assert cursor.fetchone()[0] == "0"
