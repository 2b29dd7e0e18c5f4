"""The seller's admin: each seller sees and manages only their own products; staff see all."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from market.models import EventRecord
from payment.models import Payment
from product.models import Product
from product.services import product_register
from reservation.services import reservation_place

CHANGELIST = reverse("admin:product_product_changelist")
ADD = reverse("admin:product_product_add")


def change_url(product) -> str:
    return reverse("admin:product_product_change", args=[product.pk])


def delete_url(product) -> str:
    return reverse("admin:product_product_delete", args=[product.pk])


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def products(seller, other_buyer):
    mine = product_register(seller=seller, name="Noodle", price=3000)
    sold_desk = product_register(seller=seller, name="Desk", price=50000)
    theirs = product_register(seller=other_buyer, name="Coffee", price=4500)
    return mine, sold_desk, theirs


def listed(response) -> set[int]:
    return {p.pk for p in response.context["cl"].result_list}


def test_a_seller_sees_only_their_own_products(seller, products):
    mine, desk, theirs = products
    client = signed_in(seller)
    response = client.get(CHANGELIST)
    assert response.status_code == 200
    assert listed(response) == {mine.pk, desk.pk}
    assert client.get(change_url(theirs)).status_code in (302, 404)  # "doesn't exist" redirect
    assert client.get(delete_url(theirs)).status_code in (302, 404)


def test_the_admin_index_shows_products_to_a_seller_but_not_reservations_or_payments(seller, products):
    response = signed_in(seller).get(reverse("admin:index"))
    assert response.status_code == 200
    models = {m["object_name"] for app in response.context["app_list"] for m in app["models"]}
    assert "Product" in models
    assert not {"Reservation", "Payment", "Delivery"} & models
    assert signed_in(seller).get(reverse("admin:payment_payment_changelist")).status_code == 403


def test_status_filter_and_name_search(seller, buyer, products):
    mine, desk, _ = products
    reservation_place(buyer=buyer, product_id=desk.pk)
    client = signed_in(seller)
    assert listed(client.get(CHANGELIST, {"status__exact": "pending"})) == {desk.pk}
    assert listed(client.get(CHANGELIST, {"status__exact": "available"})) == {mine.pk}
    assert listed(client.get(CHANGELIST, {"q": "nood"})) == {mine.pk}


def test_staff_see_everything(staff, products):
    response = signed_in(staff).get(CHANGELIST)
    assert listed(response) == {p.pk for p in products}
    _, _, theirs = products
    assert signed_in(staff).get(change_url(theirs)).status_code == 200
    assert signed_in(staff).get(reverse("admin:reservation_reservation_changelist")).status_code == 200
    assert signed_in(staff).get(reverse("admin:payment_payment_changelist")).status_code == 200


def test_staff_cannot_edit_someone_elses_product(staff, products):
    _, _, theirs = products
    response = signed_in(staff).post(change_url(theirs), {"name": "Hijacked", "description": "", "price": 1})
    assert response.status_code == 403
    assert Product.objects.get(pk=theirs.pk).name == "Coffee"


def test_a_seller_creates_a_product_as_themselves_and_the_event_is_published(seller):
    response = signed_in(seller).post(ADD, {"name": "Lamp", "description": "warm", "price": 12000})
    assert response.status_code == 302, response.content
    product = Product.objects.get(name="Lamp")
    assert (product.seller, product.price, product.status) == (seller, 12000, "available")
    assert EventRecord.objects.filter(type="ProductRegistered", aggregate_id=str(product.pk)).exists()


def test_the_add_form_refuses_a_negative_or_huge_price(seller):
    for price in (-1, 1_000_000_001, "abc"):
        response = signed_in(seller).post(ADD, {"name": "Lamp", "description": "", "price": price})
        assert response.status_code == 200  # the form again, with errors
        assert response.context["adminform"].form.errors
    assert not Product.objects.exists()


def test_a_seller_edits_an_available_product(seller, products):
    mine, _, _ = products
    response = signed_in(seller).post(change_url(mine), {"name": "Ramen", "description": "spicy", "price": 2500})
    assert response.status_code == 302
    mine.refresh_from_db()
    assert (mine.name, mine.price, mine.description) == ("Ramen", 2500, "spicy")
    assert EventRecord.objects.filter(type="ProductUpdated", aggregate_id=str(mine.pk)).exists()


def test_a_pending_product_is_read_only(seller, buyer, products, drain):
    _, desk, _ = products
    reservation_place(buyer=buyer, product_id=desk.pk)
    drain()
    client = signed_in(seller)
    page = client.get(change_url(desk))
    assert page.status_code == 200
    assert not page.context["has_change_permission"]
    response = client.post(change_url(desk), {"name": "Cheap desk", "description": "", "price": 1})
    assert response.status_code == 403
    assert Product.objects.get(pk=desk.pk).name == "Desk"
    assert client.post(delete_url(desk), {"post": "yes"}).status_code == 403
    assert Product.objects.filter(pk=desk.pk).exists()
    assert Payment.objects.filter(product_id=desk.pk).exists()


def test_a_seller_deletes_an_available_product(seller, products):
    mine, _, _ = products
    response = signed_in(seller).post(delete_url(mine), {"post": "yes"})
    assert response.status_code == 302
    assert not Product.objects.filter(pk=mine.pk).exists()
    assert EventRecord.objects.filter(type="ProductWithdrawn", aggregate_id=str(mine.pk)).exists()


def test_anonymous_visitors_are_sent_to_the_login_page(products):
    response = Client().get(CHANGELIST)
    assert response.status_code == 302
    assert "login" in response["Location"]
