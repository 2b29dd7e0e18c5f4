"""The DRF browsable API renders every endpoint as HTML (no 500 from forms or renderers)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path",
    [
        "/api/products/",
        "/api/products/{product}/",
        "/api/reservations/",
        "/api/reservations/{reservation}/",
        "/api/reservations/{reservation}/cancel/",
        "/api/payments/",
        "/api/payments/{payment}/",
        "/api/payments/{payment}/pay/",
        "/product",
        "/products",
        "/reservation",
        "/reservations",
        "/reservationupdate",
        "/paid",
        "/payments",
    ],
)
def test_browsable_api_renders(client_for, market, seller, path):
    url = path.format(product=market.available.pk, reservation=market.reservation.pk, payment=market.payment.pk)
    response = client_for(seller).get(url, HTTP_ACCEPT="text/html")
    assert response.status_code in (200, 405)
    assert response["Content-Type"].startswith("text/html")
    assert b"<html" in response.content.lower()


def test_the_browsable_forms_offer_the_input_fields(client_for, seller):
    html = client_for(seller).get("/api/products/", HTTP_ACCEPT="text/html").content.decode()
    assert 'name="price"' in html and 'name="editable"' not in html
