"""The lifecycle of issue 17 on the web pages, in Chromium: a buyer wishes a product (찜) and finds
it on "my wishes"; a seller declines a reservation with a reason and the buyer's open my-page turns
it "declined" by itself; a hold runs out (the sweep driven from the test) and the open my-page turns
it "expired". Screenshots at desktop and phone width go to tests/artifacts/screenshots/
(lifecycle-*-desktop.png, lifecycle-*-phone.png)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from market import bus
from product.models import Wish
from product.services import product_register
from reservation.models import Reservation
from reservation.services import reservation_expire_due, reservation_place
from tests.browser import test_pages_shop as shop
from tests.browser.conftest import DESKTOP, PHONE
from tests.support.pages import compiled_messages  # noqa: F401 (a fixture, used by name)

watched = shop.watched  # the page that fails the test on any console error (CSP included)
SIZES = pytest.mark.parametrize("size", ["desktop", "phone"])


def viewport(size: str) -> dict:
    return DESKTOP if size == "desktop" else PHONE


@SIZES
def test_a_buyer_wishes_a_product_and_sees_it_on_my_wishes(watched, seller, buyer, screenshot, size):
    lamp = product_register(seller=seller, name="스탠드 조명", price=12000, description="따뜻한 빛.")
    page = watched(viewport=viewport(size))
    shop.sign_in(page, "buyer")
    page.goto(f"/shop/products/{lamp.pk}/")
    expect(page.locator("#wish-count")).to_contain_text("0명이 찜했어요")
    button = page.get_by_role("button", name="찜하기")
    expect(button).to_have_attribute("aria-pressed", "false")
    button.click()

    expect(page.get_by_role("status").first).to_contain_text("찜 목록에 담았어요")
    expect(page.locator("#wish-button")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#wish-button")).to_contain_text("찜함 (빼기)")
    expect(page.locator("#wish-count")).to_contain_text("1명이 찜했어요")
    assert shop.fits_the_width(page)
    screenshot(page, f"lifecycle-wished-product-{size}")

    page.locator("header").get_by_role("link", name="찜 목록").click()
    expect(page).to_have_url(re.compile(r"/shop/my/wishes/$"))
    card = page.locator(f'.wish[data-product="{lamp.pk}"]')
    expect(card).to_contain_text("스탠드 조명")
    expect(card.locator(".price")).to_have_text("12,000원")
    expect(card.locator('[data-state="available"]')).to_have_text("판매 중")
    assert shop.fits_the_width(page)
    screenshot(page, f"lifecycle-my-wishes-{size}")
    assert Wish.objects.filter(user=buyer, product=lamp).exists()


@SIZES
def test_a_seller_declines_with_a_reason_and_the_open_my_page_shows_declined(watched, seller, buyer, screenshot, size):
    lamp = product_register(seller=seller, name="스탠드 조명", price=12000)
    reservation = reservation_place(buyer=buyer, product_id=lamp.pk)
    buyer_page = watched(viewport=viewport(size))
    shop.sign_in(buyer_page, "buyer")
    buyer_page.goto("/shop/my/")
    row = buyer_page.locator(f'.reservation[data-reservation="{reservation.pk}"]')
    expect(row).to_have_attribute("data-reservation-state", "reserved")
    expect(row.locator(".deadline")).to_contain_text("까지 결제하지 않으면 예약이 풀려요.")
    buyer_page.evaluate("window.stillTheSamePage = true")

    seller_page = watched(viewport=viewport(size))
    shop.sign_in(seller_page, "seller")
    seller_page.goto("/shop/my/sales/")
    sale = seller_page.locator(f'.sale[data-reservation="{reservation.pk}"]')
    sale.get_by_label("거절 사유 (선택, 구매자에게 전해져요)").fill("직거래로 이미 팔렸어요")
    assert shop.fits_the_width(seller_page)
    screenshot(seller_page, f"lifecycle-decline-form-{size}")
    sale.get_by_role("button", name="예약 거절").click()

    expect(seller_page.get_by_role("status").first).to_contain_text("예약을 거절했어요")
    expect(sale).to_have_attribute("data-reservation-state", "declined")
    expect(sale.locator('[data-action="decline"]')).to_have_count(0)
    ended = Reservation.objects.get(pk=reservation.pk)
    assert (ended.status, ended.end_reason) == ("declined", "직거래로 이미 팔렸어요")

    # The buyer's open page: the poll (every 3 s) brings the decline, without reloading.
    expect(row).to_have_attribute("data-reservation-state", "declined", timeout=10_000)
    expect(row.locator(".state-declined")).to_have_text("판매자 거절")
    expect(row.locator(".ended")).to_contain_text("판매자가 이 예약을 거절했어요")
    expect(row.locator('[data-action="pay"], [data-action="cancel"], .deadline')).to_have_count(0)
    assert buyer_page.evaluate("window.stillTheSamePage") is True
    assert shop.fits_the_width(buyer_page)
    screenshot(buyer_page, f"lifecycle-declined-mypage-{size}")


@SIZES
def test_an_expiry_shows_on_the_open_my_page(watched, seller, buyer, screenshot, size):
    lamp = product_register(seller=seller, name="스탠드 조명", price=12000)
    reservation = reservation_place(buyer=buyer, product_id=lamp.pk)
    page = watched(viewport=viewport(size))
    shop.sign_in(page, "buyer")
    page.goto("/shop/my/")
    row = page.locator(f'.reservation[data-reservation="{reservation.pk}"]')
    expect(row).to_have_attribute("data-reservation-state", "reserved")
    expect(row.locator(".deadline")).to_be_visible()
    page.evaluate("window.stillTheSamePage = true")

    # The worker's sweep, run as if the clock had passed the hold's deadline.
    assert reservation_expire_due(now=reservation.hold_expires_at + timedelta(seconds=1)) == 1

    expect(row).to_have_attribute("data-reservation-state", "expired", timeout=10_000)
    expect(row.locator(".state-expired")).to_have_text("기한 만료")
    expect(row.locator(".ended")).to_contain_text("결제 전에 기한이 지나 예약이 풀렸어요")
    expect(row.locator('[data-action="pay"], [data-action="cancel"], .deadline')).to_have_count(0)
    assert page.evaluate("window.stillTheSamePage") is True
    assert shop.fits_the_width(page)
    screenshot(page, f"lifecycle-expired-mypage-{size}")

    bus.drain()  # notifications are made by the worker
    page.goto("/shop/my/notifications/")
    expect(page.locator(".notification .kind-expired").first).to_have_text("예약 기한 만료")
    assert shop.fits_the_width(page)
    screenshot(page, f"lifecycle-notifications-{size}")
