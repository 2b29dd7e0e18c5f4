"""The browsable API offers only what its reader may do, under names a person would use."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

HTML = {"HTTP_ACCEPT": "text/html"}


def page(user, url: str) -> str:
    client = Client()
    if user is not None:
        client.force_login(user)
    response = client.get(url, **HTML)
    assert response.status_code == 200, (url, response.status_code)
    assert response["Content-Type"].startswith("text/html")
    return response.content.decode()


def offers(html: str, method: str) -> bool:
    """Whether the page offers a form or button for ``method`` (DRF's templates mark them so)."""
    return f"Make a {method} request" in html or f'data-method="{method}"' in html


@pytest.mark.parametrize(
    ("url", "title"),
    [
        ("/api/", "Marketplace API"),
        ("/api/products/", "Products"),
        ("/api/reservations/", "My reservations"),
        ("/api/payments/", "My payments"),
        ("/api/mypage/", "My page"),
        ("/api/mypage/sales/", "My sales"),
        ("/api/notifications/", "My notifications"),
    ],
)
def test_pages_read_as_names_a_person_would_use(buyer, url, title):
    html = page(buyer, url)
    assert f"<h1>{title}</h1>" in html
    assert "List Api" not in html and "Api</h1>" not in html
    assert "중고마켓" in html  # our branding, linking home
    assert 'href="/"' in html


def test_product_forms_only_for_its_seller_while_available(market, seller, buyer):
    url = f"/api/products/{market.available.pk}/"
    for method in ("PUT", "PATCH", "DELETE"):
        assert offers(page(seller, url), method), method
        assert not offers(page(buyer, url), method), method
        assert not offers(page(None, url), method), method
    held = page(seller, f"/api/products/{market.held.pk}/")  # reserved: not editable, even by its seller
    assert not offers(held, "PUT") and not offers(held, "DELETE")


def test_pay_and_cancel_forms_only_for_the_buyer(market, seller, buyer):
    pay = f"/api/payments/{market.payment.pk}/pay/"
    cancel = f"/api/reservations/{market.reservation.pk}/cancel/"
    assert offers(page(buyer, pay), "POST")
    assert not offers(page(seller, pay), "POST")
    assert offers(page(buyer, cancel), "POST")
    assert not offers(page(seller, cancel), "POST")


def test_lists_offer_filters(buyer):
    for url in ("/api/products/", "/api/reservations/", "/api/payments/", "/api/mypage/", "/api/notifications/"):
        assert "Filters" in page(buyer, url), url
