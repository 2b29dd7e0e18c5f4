"""The web pages in Chromium: a buyer signs up, reserves, watches the payment appear on the
my-page without reloading, pays and sees the product sold out; a second buyer meets "already
reserved"; a seller lists a product and sees it reserved. Screenshots of the main pages at desktop
and phone width go to tests/artifacts/screenshots/ (shop-*-desktop.png, shop-*-phone.png)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from market import bus
from product.models import Product
from product.services import product_register
from reservation.services import reservation_place
from tests.browser.conftest import DESKTOP, PHONE
from tests.support.pages import compiled_messages  # noqa: F401 (a fixture, used by name)

PAYMENT_SUBSCRIBER = "payment.request_payment"
EXPECTED = re.compile(r"status of 400 \(Bad Request\)")


@pytest.fixture
def watched(new_page):
    """``watched(**kwargs)``: ``new_page`` that also records every console error, so a test can
    prove the Content Security Policy blocked nothing (no inline script, style or handler). A form
    refused with 400 is logged by Chromium as a failed load; that one is expected."""
    pages = []

    def make(**kwargs):
        page = new_page(**kwargs)
        page.errors = []
        page.on(
            "console",
            lambda message: message.type == "error"
            and not EXPECTED.search(message.text)
            and page.errors.append(message.text),
        )
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        pages.append(page)
        return page

    yield make
    for page in pages:
        assert page.errors == [], page.errors


def sign_in(page, username: str, password: str = "s3cret-pass") -> None:
    page.goto("/shop/signin/")
    page.get_by_label("사용자 이름").fill(username)
    page.get_by_label("비밀번호").fill(password)
    page.locator("main").get_by_role("button", name="로그인").click()
    expect(page).to_have_url(re.compile(r"/shop/$"))


def fits_the_width(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_a_buyer_signs_up_reserves_watches_the_payment_appear_pays_and_sees_it_sold(watched, seller, screenshot, size):
    viewport = DESKTOP if size == "desktop" else PHONE
    lamp = product_register(seller=seller, name="스탠드 조명", price=12000, description="따뜻한 빛, 거의 새것.")
    product_register(seller=seller, name="빨간 자전거", price=85000)
    page = watched(viewport=viewport)

    page.goto("/shop/signup/")
    expect(page.locator("html")).to_have_attribute("lang", "ko")
    screenshot(page, f"shop-signup-{size}")
    page.get_by_label("사용자 이름").fill("minji")
    page.get_by_label("비밀번호").fill("long-enough")
    page.get_by_label("휴대폰 번호 (선택)").fill("01012345678")
    page.get_by_role("button", name="계정 만들기").click()

    expect(page.get_by_role("heading", name="상품 목록")).to_be_visible()
    expect(page.locator(f'[data-product="{lamp.pk}"] [data-state="available"]')).to_have_text("판매 중")
    assert fits_the_width(page)
    screenshot(page, f"shop-catalogue-{size}")

    page.get_by_role("link", name="스탠드 조명").click()
    expect(page.locator(".price")).to_have_text("12,000원")
    screenshot(page, f"shop-product-{size}")

    # The payment is created after the reservation commits, by payment's own subscriber: hold it
    # back, so the my-page first shows the reservation alone and then, by itself, the payment.
    bus.pause(PAYMENT_SUBSCRIBER)
    page.get_by_role("button", name="예약하기").click()
    expect(page).to_have_url(re.compile(r"/shop/my/$"))
    expect(page.get_by_role("status").first).to_contain_text("예약했어요")
    row = page.locator(".reservation").first
    expect(row).to_have_attribute("data-reservation-state", "reserved")
    expect(row.locator('[data-action="pay"]')).to_have_count(0)
    page.evaluate("window.stillTheSamePage = true")

    bus.resume(PAYMENT_SUBSCRIBER)
    bus.drain()
    pay = row.locator('[data-action="pay"]')
    expect(pay).to_be_visible(timeout=10_000)  # the poll (every 3 s) brought it
    expect(pay).to_have_text("12,000원 결제하기")
    assert page.evaluate("window.stillTheSamePage") is True  # no reload: the list was swapped in
    expect(row).to_have_attribute("data-payment-state", "unpaid")
    assert fits_the_width(page)
    screenshot(page, f"shop-mypage-{size}")

    pay.click()
    expect(page.get_by_role("status").first).to_contain_text("결제했어요")
    row = page.locator(".reservation").first
    expect(row).to_have_attribute("data-payment-state", "paid")
    expect(row.locator('[data-action="pay"], [data-action="cancel"]')).to_have_count(0)

    page.goto(f"/shop/products/{lamp.pk}/")
    expect(page.locator('[data-state="sold_out"]')).to_have_text("판매 완료")
    expect(page.get_by_role("button", name="예약하기")).to_have_count(0)
    assert Product.objects.get(pk=lamp.pk).status == "sold_out"

    bus.drain()  # KakaoTalk notices run in the worker
    page.goto("/shop/my/notifications/")
    expect(page.locator(".notification").first).to_be_visible()
    screenshot(page, f"shop-notifications-{size}")


def test_a_second_buyer_meets_already_reserved(watched, seller, buyer, other_buyer, screenshot):
    lamp = product_register(seller=seller, name="스탠드 조명", price=12000)
    first, second = watched(), watched(viewport=PHONE)
    sign_in(first, "buyer")
    sign_in(second, "other")
    first.goto(f"/shop/products/{lamp.pk}/")
    second.goto(f"/shop/products/{lamp.pk}/")  # both see it available, with a Reserve button

    first.get_by_role("button", name="예약하기").click()
    expect(first).to_have_url(re.compile(r"/shop/my/$"))
    second.get_by_role("button", name="예약하기").click()

    expect(second).to_have_url(re.compile(rf"/shop/products/{lamp.pk}/$"))
    expect(second.get_by_role("alert")).to_have_text("이미 다른 사람이 예약한 상품이에요.")
    expect(second.locator('[data-state="pending"]')).to_have_text("예약 중")
    screenshot(second, "shop-already-reserved-phone")


def test_a_seller_lists_a_product_and_sees_it_reserved(watched, make_user, buyer, screenshot):
    make_user("hana")
    seller_page = watched()
    sign_in(seller_page, "hana")
    seller_page.get_by_role("link", name="판매하기").click()
    seller_page.get_by_label("상품 이름").fill("원목 의자")
    seller_page.get_by_label("가격 (원)").fill("-5")
    seller_page.get_by_label("설명").fill("튼튼해요")
    seller_page.get_by_role("button", name="올리기").click()
    # Refused, and what was typed is still there.
    expect(seller_page.locator(".field-error")).to_be_visible()
    expect(seller_page.get_by_label("상품 이름")).to_have_value("원목 의자")
    expect(seller_page.get_by_label("설명")).to_have_value("튼튼해요")
    screenshot(seller_page, "shop-sell-error-desktop")
    seller_page.get_by_label("가격 (원)").fill("30000")
    seller_page.get_by_role("button", name="올리기").click()

    expect(seller_page).to_have_url(re.compile(r"/shop/my/products/$"))
    expect(seller_page.get_by_role("status").first).to_contain_text("원목 의자")
    chair = Product.objects.get(name="원목 의자")
    expect(seller_page.locator(f'[data-product="{chair.pk}"] [data-state="available"]')).to_be_visible()
    expect(seller_page.get_by_text("아직 내 상품을 예약한 사람이 없어요.")).to_be_visible()

    buyer_page = watched(viewport=PHONE)
    sign_in(buyer_page, "buyer")
    buyer_page.goto(f"/shop/products/{chair.pk}/")
    buyer_page.get_by_role("button", name="예약하기").click()
    expect(buyer_page).to_have_url(re.compile(r"/shop/my/$"))

    # The seller's page brings the reservation in by itself (its sales list polls).
    sale = seller_page.locator(f'.sale[data-product="{chair.pk}"]')
    expect(sale).to_have_attribute("data-reservation-state", "reserved", timeout=10_000)
    expect(sale).to_contain_text("buyer")
    screenshot(seller_page, "shop-my-products-desktop")
    seller_page.reload()
    expect(seller_page.locator(f'[data-product="{chair.pk}"] [data-state="pending"]')).to_have_text("예약 중")


def test_the_seller_pages_fit_a_phone(watched, seller, buyer, screenshot):
    lamp = product_register(
        seller=seller, name="아주 긴 이름의 원목 책상 스탠드 조명 (거의 새것, 직거래 선호)", price=1234567
    )
    reservation_place(buyer=buyer, product_id=lamp.pk)
    page = watched(viewport=PHONE)
    sign_in(page, "seller")
    for url, name in [("/shop/my/products/", "my-products"), ("/shop/sell/", "sell"), ("/shop/my/sales/", "sales")]:
        page.goto(url)
        if name != "sell":
            expect(page.locator(".sale")).to_have_count(1)
        assert fits_the_width(page), url
        screenshot(page, f"shop-{name}-phone")


def test_english_is_one_switch_away(watched, seller, screenshot):
    product_register(seller=seller, name="Desk lamp", price=12000)
    page = watched(viewport=PHONE)
    page.goto("/shop/")
    expect(page.get_by_role("heading", name="상품 목록")).to_be_visible()
    page.get_by_label("언어").select_option("en")
    page.get_by_role("button", name="변경").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="Catalogue")).to_be_visible()
    expect(page.locator('[data-state="available"]')).to_have_text("Available")
    expect(page.locator(".price")).to_have_text("₩12,000")
    assert fits_the_width(page)
    screenshot(page, "shop-catalogue-english-phone")


def test_the_admin_works_under_the_same_policy(browser, live_server, staff, seller):
    """The policy covers the whole site but the API's own HTML (README): the admin needs no inline code."""
    product_register(seller=seller, name="Desk lamp", price=12000)
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    blocked = []
    page.on("console", lambda message: "Content Security Policy" in message.text and blocked.append(message.text))
    page.goto("/admin/login/?next=/admin/product/product/")
    page.locator("#id_username").fill("staff")
    page.locator("#id_password").fill("s3cret-pass")
    page.locator("input[type=submit]").click()
    expect(page.locator("#result_list")).to_contain_text("Desk lamp")
    page.locator("#toggle-nav-sidebar").click()  # the admin's own JavaScript runs
    expect(page.locator("#nav-sidebar")).to_be_hidden()
    context.close()
    assert blocked == []
