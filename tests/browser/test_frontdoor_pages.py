"""The front doors in a real browser (Chromium), in Korean, as a person meets them: the home page,
the API root, the seller's admin after signing in through its form, and the buyer's my-page in the
browsable API. Screenshots stay in tests/artifacts/screenshots/."""

from __future__ import annotations

import pytest

from product.services import product_register
from reservation.services import reservation_place

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "s3cret-pass"  # make_user's default


@pytest.fixture
def shop(seller, buyer, drain):
    noodle = product_register(seller=seller, name="Noodle", price=3000, description="매운 라면")
    desk = product_register(seller=seller, name="Desk", price=50000, description="원목 책상")
    reservation_place(buyer=buyer, product_id=desk.pk)
    drain()
    return noodle, desk


def body_font(page) -> str:
    return page.evaluate("getComputedStyle(document.body).fontFamily")


def test_the_home_page_in_korean(page, screenshot, shop):
    page.goto("/")
    assert page.locator("h1").inner_text() == "중고마켓"
    assert page.locator("#catalogue").inner_text() == "상품 목록"
    assert page.locator("#sign-in").inner_text() == "로그인"
    assert page.locator("#admin").inner_text() == "판매자 관리"
    assert "Noto Sans KR" in body_font(page)
    screenshot(page, "frontdoor-home")
    page.locator("#api-root").click()
    page.wait_for_url("**/api/")
    assert page.locator("h1").inner_text() == "중고마켓 API"


def test_the_api_root_lists_the_resources_as_links(page, screenshot, shop):
    page.goto("/api/")
    assert page.locator("h1").inner_text() == "중고마켓 API"
    content = page.locator(".response-info").inner_text()
    for key in ("products", "reservations", "payments", "mypage", "notifications", "docs"):
        assert f'"{key}"' in content
    screenshot(page, "frontdoor-api-root")
    # The links are links: follow the catalogue's.
    page.get_by_role("link", name=f"{page.url}products/").click()
    page.wait_for_url("**/api/products/")
    assert page.locator("h1").inner_text() == "상품"
    assert "Noodle" in page.locator(".response-info").inner_text()


def test_the_seller_signs_in_to_the_admin_and_sees_their_products(new_page, screenshot, shop):
    page = new_page()
    page.goto("/admin/")
    page.fill("#id_username", "seller")
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="로그인").click()
    page.wait_for_url("**/admin/product/product/")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 2
    listed = page.locator("#result_list").inner_text()
    assert "Noodle" in listed and "Desk" in listed
    assert page.locator("#site-name").inner_text() == "중고마켓 관리"
    assert page.get_by_role("link", name="사이트 보기").get_attribute("href") == "/"
    screenshot(page, "frontdoor-admin-products")
    page.goto("/admin/mypage/salerow/")
    sales = page.locator("#result_list").inner_text()
    assert "Desk" in sales and "buyer" in sales and "결제 전" in sales and "예약됨" in sales


def test_the_buyer_signs_in_and_reads_their_my_page_in_the_browsable_api(new_page, screenshot, shop):
    page = new_page()
    page.goto("/api-auth/login/?next=/api/mypage/")
    page.fill("#id_username", "buyer")
    page.fill("#id_password", PASSWORD)
    page.locator("#submit-id-submit").click()
    page.wait_for_url("**/api/mypage/")
    assert page.locator("h1").inner_text() == "마이페이지"
    content = page.locator(".response-info").inner_text()
    assert '"product_name": "Desk"' in content and '"payment_status": "unpaid"' in content
    assert "Noto Sans KR" in body_font(page)
    screenshot(page, "frontdoor-buyer-mypage")
    # The row's links lead on: to the payment, where the buyer finds the pay action.
    page.get_by_role("link", name="/api/payments/", exact=False).first.click()
    assert page.locator("h1").inner_text() == "결제"
    assert '"pay": "http' in page.locator(".response-info").inner_text()
