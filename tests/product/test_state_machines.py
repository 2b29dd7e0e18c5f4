"""The product's state transitions, without a database: the in-memory methods, which apply the
model's one transition table (``Product.transitions``), the table production's conditional UPDATEs
are generated from (their agreement: ``tests/platform/test_transitions.py``)."""

from __future__ import annotations

import pytest

from market.errors import Conflict
from product.models import Product

# --- product -----------------------------------------------------------------------------------


def test_an_available_product_is_editable_and_can_be_held():
    product = Product(name="Desk", price=1, seller_id=1)
    assert product.status == Product.Status.AVAILABLE
    assert product.can_edit()
    product.ensure_editable()
    product.hold(7, buyer_id=2)
    assert (product.status, product.held_by_reservation_id) == (Product.Status.PENDING, 7)
    assert not product.can_edit()


@pytest.mark.parametrize("status", [Product.Status.PENDING, Product.Status.SOLD_OUT])
def test_a_held_or_sold_product_is_neither_editable_nor_holdable(status):
    product = Product(status=status, held_by_reservation_id=1, seller_id=1)
    assert not product.can_edit()
    with pytest.raises(Conflict) as caught:
        product.ensure_editable()
    assert caught.value.code == "product_not_editable"
    with pytest.raises(Conflict) as caught:
        product.hold(2, buyer_id=2)
    assert caught.value.code == "product_unavailable"
    assert product.held_by_reservation_id == 1


def test_only_the_holding_reservation_releases_or_buys_the_product():
    product = Product(status=Product.Status.PENDING, held_by_reservation_id=7)
    assert not product.release(8)
    assert not product.sell(8)
    assert product.status == Product.Status.PENDING
    assert product.release(7)
    assert (product.status, product.held_by_reservation_id) == (Product.Status.AVAILABLE, None)
    assert not product.release(7)  # already released: nothing to do


def test_a_sold_out_product_never_comes_back():
    product = Product(status=Product.Status.PENDING, held_by_reservation_id=7, seller_id=1)
    assert product.sell(7)
    assert product.status == Product.Status.SOLD_OUT
    assert not product.sell(7)
    assert not product.release(7)
    with pytest.raises(Conflict):
        product.hold(9, buyer_id=2)
    assert (product.status, product.held_by_reservation_id) == (Product.Status.SOLD_OUT, 7)
