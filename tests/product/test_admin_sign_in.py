"""The seller's admin, through its real sign-in form and links (the home page: tests/platform/test_home.py)."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from product.services import product_register

pytestmark = pytest.mark.django_db

PASSWORD = "s3cret-pass"  # make_user's default
LOGIN = "/admin/login/"
PRODUCTS = reverse("admin:product_product_changelist")
SALES = reverse("admin:mypage_salerow_changelist")


def hidden_fields(html: str) -> dict[str, str]:
    """The form's hidden inputs (the CSRF token, where to go next), as a browser submits them."""
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))


def sign_in_through_the_form(client: Client, username: str, password: str, *, next_url: str | None = None):
    """GET the admin's login page, POST the credentials with its CSRF token, follow the redirect."""
    url = LOGIN + (f"?next={next_url}" if next_url else "")
    page = client.get(url)
    assert page.status_code == 200
    fields = hidden_fields(page.content.decode())
    assert "csrfmiddlewaretoken" in fields
    return client.post(url, {**fields, "username": username, "password": password}, follow=True)


# --- the seller's admin -------------------------------------------------------------------------


def test_a_seller_who_is_not_staff_signs_in_through_the_admin_form_and_lands_on_their_products(seller, other_buyer):
    product_register(seller=seller, name="Noodle", price=3000)
    product_register(seller=other_buyer, name="Coffee", price=4500)
    assert not seller.is_staff
    client = Client(enforce_csrf_checks=True)
    response = sign_in_through_the_form(client, "seller", PASSWORD)
    assert response.redirect_chain[-1][0] == PRODUCTS
    html = response.content.decode()
    assert "Noodle" in html and "Coffee" not in html
    # "View site" leads to the home page, which answers.
    assert 'href="/"' in html and client.get("/").status_code == 200


def test_the_login_form_keeps_its_next_and_refuses_a_wrong_password(seller):
    client = Client(enforce_csrf_checks=True)
    response = sign_in_through_the_form(client, "seller", "wrong")
    assert response.redirect_chain == [] and "Please enter a correct username and password" in response.content.decode()
    response = sign_in_through_the_form(client, "seller", PASSWORD, next_url=SALES)
    assert response.redirect_chain[-1][0] == SALES


def test_an_inactive_user_cannot_sign_in(seller):
    seller.is_active = False
    seller.save(update_fields=["is_active"])
    response = sign_in_through_the_form(Client(enforce_csrf_checks=True), "seller", PASSWORD)
    assert response.redirect_chain == []


def test_a_seller_sees_the_reservations_of_their_products_with_buyer_and_payment_state(
    seller, buyer, other_buyer, make_product, reserve, drain
):
    lamp = make_product(seller, name="Lamp", price=7000)
    reserve(buyer, lamp)
    theirs = make_product(other_buyer, name="Chair", price=9000)
    reserve(buyer, theirs)
    drain()
    client = Client()
    client.force_login(seller)
    response = client.get(SALES)
    assert response.status_code == 200
    rows = list(response.context["cl"].result_list)
    assert [(r.product_name, r.buyer_name, r.payment_status) for r in rows] == [("Lamp", "buyer", "unpaid")]
    html = response.content.decode()
    assert reverse("admin:product_product_change", args=[lamp.pk]) in html
    # Read only: no add, no change, no delete.
    assert client.get(reverse("admin:mypage_salerow_add")).status_code == 403
    change = client.get(reverse("admin:mypage_salerow_change", args=[rows[0].pk]))
    assert change.status_code == 200 and 'name="_save"' not in change.content.decode()
    # By payment state, and nothing of other sellers'.
    assert client.get(SALES + "?payment_status__exact=paid").context["cl"].result_count == 0
    other = Client()
    other.force_login(other_buyer)
    assert [r.product_name for r in other.get(SALES).context["cl"].result_list] == ["Chair"]


def test_a_seller_filters_their_products_by_status(seller, buyer, make_product, reserve):
    make_product(seller, name="Noodle")
    reserve(buyer, make_product(seller, name="Desk"))
    client = Client()
    client.force_login(seller)
    listed = client.get(PRODUCTS + "?status__exact=pending").context["cl"].result_list
    assert [p.name for p in listed] == ["Desk"]


def test_the_admin_speaks_korean(seller, korean_default):
    client = Client()
    html = client.get(LOGIN).content.decode()
    assert "사용자 이름" in html and "비밀번호" in html and "로그인" in html
    client.force_login(seller)
    html = client.get(PRODUCTS).content.decode()
    assert "중고마켓 관리" in html and "내 상품의 예약" in client.get(reverse("admin:index")).content.decode()


def test_the_admin_names_our_models_and_fields_in_korean(seller, make_product, korean_default):
    """Django's own words were Korean, ours were not: "변경할 product 선택", "Product 추가"."""
    product = make_product(seller, name="Desk", price=5000)
    client = Client()
    client.force_login(seller)
    listing = client.get(PRODUCTS).content.decode()
    assert "변경할 상품 선택" in listing and "product" not in re.sub(r"<[^>]*>", " ", listing).lower().split()
    form = client.get(reverse("admin:product_product_change", args=[product.pk])).content.decode()
    assert "상품 이름" in form and "설명" in form and "가격" in form
