"""The home page: what this is, every door, in Korean by default."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders

pytestmark = pytest.mark.django_db


# --- the home page ----------------------------------------------------------------------------


def test_the_home_page_says_what_this_is_and_links_every_door(client):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert "A marketplace for second-hand goods" in html
    for href in ("/api/products/", "/api/", "/api/docs/", "/admin/", "/api-auth/login/?next=/api/"):
        assert f'href="{href}"' in html, href
    for href in re.findall(r'<a [^>]*href="(/[^"]*)"', html):
        assert client.get(href).status_code in (200, 302), href  # every door opens (the admin: to sign in)
    # A Korean font fallback, in a stylesheet of our own (the Content Security Policy allows no inline style).
    assert 'href="/static/market/home.css"' in html
    css = Path(finders.find("market/home.css")).read_text(encoding="utf-8")
    assert '"Noto Sans KR"' in css and "NanumGothic" in css


def test_the_home_page_is_korean_by_default(client, korean_default):
    html = client.get("/").content.decode()
    assert '<html lang="ko">' in html
    assert "상품 목록" in html and "판매자 관리" in html and "로그인" in html


def test_a_signed_in_user_is_greeted_with_a_way_to_their_page(client, buyer):
    client.force_login(buyer)
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Signed in as buyer." in html and 'href="/api/mypage/"' in html
