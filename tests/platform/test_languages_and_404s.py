"""Korean first, English on request; and a JSON 404 for every unmatched API or reference URL,
whatever DEBUG says."""

from __future__ import annotations

import pytest

from tests.support.market import assert_error

pytestmark = pytest.mark.django_db


# --- Korean first -------------------------------------------------------------------------------


@pytest.mark.usefixtures("korean_default")
def test_errors_are_korean_by_default_and_english_on_request(anon, client_for, market, seller):
    body = assert_error(anon.get("/api/products/999999/"), 404, "product_not_found")
    assert body["message"] == "그런 상품이 없습니다."
    body = assert_error(anon.get("/api/products/999999/", HTTP_ACCEPT_LANGUAGE="en"), 404, "product_not_found")
    assert body["message"] == "No such product."

    # A rule of the domain (409) and a validation error (400) with its details.
    own = client_for(seller).post("/api/reservations/", {"product_id": market.available.pk}, format="json")
    assert assert_error(own, 409, "own_product")["message"] == "자기 상품은 예약할 수 없습니다."
    invalid = assert_error(client_for(seller).post("/api/products/", {}, format="json"), 400, "invalid")
    assert invalid["message"] == "요청이 올바르지 않습니다. 자세한 내용은 details를 보세요."
    assert invalid["details"]["name"] == ["이 필드는 필수 항목입니다."]
    english = client_for(seller).post("/api/products/", {}, format="json", HTTP_ACCEPT_LANGUAGE="en").json()
    assert english["details"]["name"] == ["This field is required."]

    # Not signed in (DRF's own message, in Korean too).
    assert assert_error(anon.get("/api/payments/"), 401)["message"] == "자격 인증 데이터가 제공되지 않았습니다."


@pytest.mark.usefixtures("korean_default")
def test_statuses_read_in_korean_where_people_choose_them(client_for, buyer, seller):
    """The browsable API's filter forms and the admin name each status in the reader's language;
    the API's JSON keeps the stable values."""
    from django.utils import translation

    from payment.models import Payment
    from product.models import Product
    from reservation.models import Reservation

    with translation.override("ko"):
        labels = {str(label) for model in (Product, Reservation, Payment) for _, label in model.Status.choices}
    assert {"판매 중", "예약 중", "판매 완료", "취소됨", "구매 완료", "기한 만료", "판매자 거절"} <= labels
    assert {"결제 전", "결제 완료", "결제 무효"} <= labels
    page = client_for(buyer).get("/api/reservations/", HTTP_ACCEPT="text/html").content.decode()
    assert "판매자 거절" in page and "declined" in page  # the label shown, the value sent
    catalogue = client_for(seller).get("/api/products/", HTTP_ACCEPT="text/html").content.decode()
    assert "판매 완료" in catalogue
    english = client_for(buyer).get("/api/payments/", HTTP_ACCEPT="text/html", HTTP_ACCEPT_LANGUAGE="en")
    assert "voided" in english.content.decode() and "결제 무효" not in english.content.decode()


@pytest.mark.usefixtures("korean_default")
def test_filter_and_paging_errors_are_translated(client_for, buyer):
    body = assert_error(client_for(buyer).get("/api/reservations/?status=bogus"), 400)
    assert "bogus" in body["details"]["status"][0] and "Select" not in body["details"]["status"][0]
    body = assert_error(client_for(buyer).get("/api/mypage/?created_after=0001-01-01"), 400, "invalid_filter")
    assert body["message"] == "필터가 올바르지 않습니다. 자세한 내용은 details를 보세요."


@pytest.mark.parametrize(
    ("language", "code", "message"),
    [
        ("ko", "payment_not_found", "그런 결제가 없습니다."),
        ("en", "payment_not_found", "No such payment."),
    ],
)
def test_codes_stay_english_only_messages_change(client_for, buyer, language, code, message, korean_default):
    body = assert_error(client_for(buyer).get("/api/payments/424242/", HTTP_ACCEPT_LANGUAGE=language), 404, code)
    assert body["message"] == message


# --- JSON 404s --------------------------------------------------------------------------------------

UNMATCHED = [
    "/api/nothing-here/",
    "/api/products/abc/",
    "/api/reservations/1/nope/",
    "/api/payments/x/pay/",
    "/api/mypage/abc/",
    "/products/abc",
    "/reservation/x",
    "/myPages/1/2",
    "/paid/3",
]


@pytest.mark.parametrize("debug", [False, True], ids=["DEBUG=0", "DEBUG=1"])
@pytest.mark.parametrize("url", UNMATCHED)
@pytest.mark.parametrize("accept", ["application/json", "text/html", "*/*"])
def test_an_unmatched_api_or_reference_url_is_a_json_404(anon, settings, debug, url, accept):
    settings.DEBUG = debug
    response = anon.get(url, HTTP_ACCEPT=accept)
    assert_error(response, 404, "not_found")


@pytest.mark.usefixtures("korean_default")
def test_the_404_speaks_the_clients_language(anon, settings):
    settings.DEBUG = True
    assert anon.get("/api/products/abc/").json()["message"] == "찾을 수 없습니다."
    assert anon.get("/api/products/abc/", HTTP_ACCEPT_LANGUAGE="en").json()["message"] == "Not found."


def test_a_missing_slash_still_redirects(anon):
    response = anon.get("/api/products")
    assert response.status_code == 301 and response["Location"] == "/api/products/"


def test_a_browsable_api_404_stays_a_browsable_page(client_for, buyer):
    # A 404 from a view (an unknown id) keeps DRF's rendering: JSON for JSON, the page for a browser.
    response = client_for(buyer).get("/api/reservations/424242/", HTTP_ACCEPT="text/html")
    assert response.status_code == 404 and response["Content-Type"].startswith("text/html")
