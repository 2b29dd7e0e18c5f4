"""The web pages' platform under /shop/, through Django's test client: signing up and in, CSRF, the
Content Security Policy, secure cookies, the language switch, and a database outage."""

from __future__ import annotations

import re

import pytest

from reservation.models import Reservation
from reservation.services import reservation_place
from tests.support.pages import csrf_post

pytestmark = pytest.mark.django_db(transaction=True)  # inline after-commit dispatch: my-page rows appear


# --- sign up, sign in ------------------------------------------------------------------------------


def test_sign_up_signs_in_and_a_taken_name_keeps_what_was_typed(web, buyer):
    client = web()
    done = csrf_post(client, "/shop/signup/", {"username": "newbie", "password": "long-enough", "phone": ""})
    assert done.status_code == 302 and done["Location"] == "/shop/"
    assert client.get("/shop/my/").status_code == 200
    again = web()
    taken = csrf_post(again, "/shop/signup/", {"username": "buyer", "password": "long-enough", "phone": "01012345678"})
    assert taken.status_code == 400
    html = taken.content.decode()
    assert "That username is taken." in html and 'value="buyer"' in html and 'value="01012345678"' in html
    assert "long-enough" not in html  # a password is never sent back


def test_sign_in_with_a_wrong_password_keeps_the_username(web, buyer):
    client = web()
    wrong = csrf_post(client, "/shop/signin/", {"username": "buyer", "password": "nope"})
    assert wrong.status_code == 400 and 'value="buyer"' in wrong.content.decode()
    right = csrf_post(client, "/shop/signin/", {"username": "buyer", "password": "s3cret-pass", "next": "/shop/my/"})
    assert right.status_code == 302 and right["Location"] == "/shop/my/"


def test_sign_in_never_redirects_off_site(web, buyer):
    done = csrf_post(
        web(), "/shop/signin/", {"username": "buyer", "password": "s3cret-pass", "next": "https://evil.example/"}
    )
    assert done.status_code == 302 and done["Location"] == "/shop/"


# --- security -----------------------------------------------------------------------------------------


def test_posts_without_the_csrf_token_are_refused(web, lamp, buyer):
    client = web(buyer)
    assert client.post(f"/shop/products/{lamp.pk}/reserve/").status_code == 403
    assert client.post("/shop/signup/", {"username": "x" * 5, "password": "long-enough"}).status_code == 403
    assert not Reservation.objects.exists()


def test_pages_send_a_content_security_policy_of_our_own_files(web, lamp):
    policy = web().get("/shop/")["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'" and directives["form-action"] == "'self'"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


def test_pages_have_no_inline_script_style_or_handler(web, lamp, buyer):
    reservation_place(buyer=buyer, product_id=lamp.pk)
    client = web(buyer)
    for url in (
        "/shop/",
        f"/shop/products/{lamp.pk}/",
        "/shop/my/",
        "/shop/sell/",
        "/shop/my/products/",
        "/shop/signup/",
    ):
        html = client.get(url).content.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), url
        assert not re.search(r"\son[a-z]+=", html), url
        assert "style=" not in html and "<style" not in html, url


def test_session_and_csrf_cookies_are_secure_under_the_https_switch(web, buyer, settings):
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True
    client = web()
    signed_in = csrf_post(client, "/shop/signin/", {"username": "buyer", "password": "s3cret-pass"})
    assert signed_in.cookies["sessionid"]["secure"] is True
    assert client.cookies["csrftoken"]["secure"] is True
    assert signed_in.cookies["sessionid"]["httponly"] is True


def test_korean_is_the_default_and_english_is_a_switch_away(web, korean_default):
    client = web()
    assert '<html lang="ko">' in client.get("/shop/").content.decode()
    switched = csrf_post(client, "/shop/language/", {"language": "en", "next": "/shop/"})
    assert switched.status_code == 302 and switched["Location"] == "/shop/"
    assert '<html lang="en">' in client.get("/shop/").content.decode()


def test_a_database_outage_is_a_page_saying_when_to_try_again(web, lamp, buyer, monkeypatch):
    from django.db import OperationalError

    from product import selectors

    def down(**kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(selectors, "product_search", down)
    page = web(buyer).get("/shop/")
    assert page.status_code == 503 and page["Retry-After"] == "5"
    assert page["Content-Type"].startswith("text/html")
    assert "Please try again in 5 seconds." in page.content.decode()
