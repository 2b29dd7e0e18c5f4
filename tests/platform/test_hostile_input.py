"""Hostile input gets a deliberate 4xx in the project's JSON shape, never a 500 or an HTML page
(issue 13, findings 4 to 8). Each test names the finding it pins."""

from __future__ import annotations

import json

import pytest
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db

DEEP = "[" * 1000 + "]" * 1000  # about 2 KB


def assert_json_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json"), response.content[:300]
    body = response.json()
    assert set(body) <= {"code", "message", "details"} and body["code"] and body["message"], body
    if code is not None:
        assert body["code"] == code, body
    return body


@pytest.fixture
def http():
    return Client(enforce_csrf_checks=True)


@pytest.fixture
def buyer_token(buyer):
    from rest_framework.authtoken.models import Token

    return Token.objects.get_or_create(user=buyer)[0].key


@pytest.fixture
def product(seller):
    from product.services import product_register

    return product_register(seller=seller, name="Lamp", price=1000, description="")


# --- 4. deep nesting -------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/auth/token/", "/api/auth/register/", "/api/reservations/", "/product"])
def test_json_nested_a_thousand_levels_is_a_400_on_every_json_route(http, buyer_token, path):
    response = http.post(path, DEEP, content_type="application/json", HTTP_AUTHORIZATION=f"Token {buyer_token}")
    assert_json_error(response, 400, "parse_error")


def test_nesting_deeper_than_the_limit_but_within_the_stack_is_a_400_too(http):
    body = '{"username": ' + "[" * 40 + '"x"' + "]" * 40 + "}"
    assert_json_error(http.post("/api/auth/token/", body, content_type="application/json"), 400, "parse_error")


# --- 5. charsets -----------------------------------------------------------------------------


@pytest.mark.parametrize("charset", ["zlib", "rot13", "base64", "bz2", "hex", "no-such-codec", "utf-16"])
def test_unknown_or_non_text_charsets_are_a_415(wsgi, charset):
    body = b"eyJ1c2VybmFtZSI6ICJhIiwgInBhc3N3b3JkIjogImIifQ=="  # base64 of a valid token request
    answer = wsgi("POST", "/api/auth/token/", body, headers={"Content-Type": f"application/json; charset={charset}"})
    assert_wsgi_error(answer, 415, "unsupported_charset")


def test_a_base64_body_is_never_decoded_and_accepted(wsgi, buyer):
    import base64

    body = base64.b64encode(json.dumps({"username": "buyer", "password": "s3cret-pass"}).encode())
    answer = wsgi("POST", "/api/auth/token/", body, headers={"Content-Type": "application/json; charset=base64"})
    assert_wsgi_error(answer, 415)


def test_the_parser_refuses_such_a_charset_too_where_no_wsgi_guard_stands_before_it(http, buyer):
    from rest_framework.test import APIRequestFactory

    from market.accounts.api import TokenLoginApi

    request = APIRequestFactory().post(
        "/api/auth/token/", b'{"username": "buyer", "password": "s3cret-pass"}', content_type="application/json"
    )
    request.META["CONTENT_TYPE"] = "application/json; charset=utf-16"
    request.content_params = {"charset": "utf-16"}
    response = TokenLoginApi.as_view()(request)
    assert response.status_code == 415


@pytest.mark.parametrize("charset", ["utf-8", "UTF8", "us-ascii"])
def test_utf8_and_ascii_are_accepted(http, buyer, charset):
    body = json.dumps({"username": "buyer", "password": "s3cret-pass"})
    response = http.post("/api/auth/token/", body, content_type=f"application/json; charset={charset}")
    assert response.status_code == 200, response.content


def test_a_bad_charset_on_a_get_is_refused_before_the_query_string_is_decoded(wsgi):
    answer = wsgi("GET", "/api/products/", query="search=x", headers={"Content-Type": "text/plain; charset=zlib"})
    assert_wsgi_error(answer, 415)


def assert_wsgi_error(answer, status: int, code: str | None = None) -> None:
    assert answer.status == status, answer
    assert answer.content_type.startswith("application/json"), answer
    if code is not None:
        assert answer.json()["code"] == code, answer


# --- 6. body size ----------------------------------------------------------------------------


def test_a_body_over_the_limit_is_a_413_before_parsing(http, buyer_token, monkeypatch):
    from market import parsers

    def never(*args, **kwargs):
        raise AssertionError("an oversized body must not be parsed")

    monkeypatch.setattr(parsers.StrictJSONParser, "parse", never)
    big = json.dumps({"product_id": 1, "padding": "x" * (10 * 1024 * 1024)})
    response = http.post(
        "/api/reservations/", big, content_type="application/json", HTTP_AUTHORIZATION=f"Token {buyer_token}"
    )
    body = assert_json_error(response, 413, "request_too_large")
    assert body["details"]["limit_bytes"] == 256 * 1024


@override_settings(MAX_REQUEST_BODY_BYTES=100)
def test_the_limit_is_configurable(http):
    body = json.dumps({"username": "someone", "password": "x" * 200})
    assert_json_error(http.post("/api/auth/token/", body, content_type="application/json"), 413)


def test_a_malformed_content_length_is_a_400(http):
    assert_json_error(http.generic("POST", "/api/auth/token/", b"{}", CONTENT_LENGTH="-1"), 400)
    assert_json_error(http.generic("POST", "/api/auth/token/", b"{}", CONTENT_LENGTH="ten"), 400)


# --- 7. every error is JSON ------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics", "/ops/breakers", "/ops/backlog"])
@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_writes_on_probes_and_operator_routes_are_a_json_405(http, path, method):
    response = http.generic(method, path)
    assert_json_error(response, 405, "method_not_allowed")
    assert "GET" in response["Allow"]


def test_a_csrf_failure_is_json(http, buyer):
    http.force_login(buyer)  # a session without the CSRF token
    response = http.post("/api/reservations/", {"product_id": 1})
    assert_json_error(response, 403)
    response = http.post("/admin/login/", {"username": "buyer", "password": "s3cret-pass"})
    assert_json_error(response, 403, "csrf_failed")


def test_unknown_paths_are_a_json_404(http):
    assert_json_error(http.get("/api/nothing-here/"), 404, "not_found")
    assert_json_error(http.get("/nothing-here"), 404, "not_found")


# --- 8. NUL, everywhere, in one place --------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/admin/product/product/?status__exact=%00",
        "/admin/product/product/?q=%00",
        "/admin/product/product/?q=a%01b",
        "/api/products/?search=%00",
        "/api/products/?status=%00",
        "/api/products/?%00=1",
        "/products?page=%00",
        "/api/products/%00/",
    ],
)
def test_nul_in_a_query_parameter_or_the_path_is_a_400(http, staff, path):
    http.force_login(staff)
    assert_json_error(http.get(path), 400, "control_character")


def test_nul_in_a_form_field_is_a_400(http, staff):
    response = http.post("/admin/login/", {"username": "a\x00b", "password": "x"})
    assert_json_error(response, 400, "control_character")
    response = http.post("/api-auth/login/", {"username": "\x00", "password": "x"})
    assert_json_error(response, 400, "control_character")


@pytest.mark.parametrize(
    "body",
    [
        {"name": "Lamp\x00", "price": 100},
        {"name": "Lamp", "price": 100, "description": "a\x07b"},
        {"name": "Lamp", "price": 100, "tags": ["\x00"]},
        {"name\x00": "Lamp", "price": 100},
    ],
)
def test_nul_or_a_control_character_in_a_json_string_is_a_400(http, seller, body):
    from rest_framework.authtoken.models import Token

    token = Token.objects.get_or_create(user=seller)[0].key
    response = http.post(
        "/api/products/", json.dumps(body), content_type="application/json", HTTP_AUTHORIZATION=f"Token {token}"
    )
    assert_json_error(response, 400, "parse_error")


def test_a_lone_surrogate_in_a_json_string_is_a_400(http):
    response = http.post(
        "/api/auth/token/", '{"username": "\\ud800", "password": "x"}', content_type="application/json"
    )
    assert_json_error(response, 400, "parse_error")


def test_newlines_and_tabs_stay_allowed(http, seller):
    from rest_framework.authtoken.models import Token

    token = Token.objects.get_or_create(user=seller)[0].key
    body = {"name": "Lamp", "price": 100, "description": "line one\r\nline\ttwo"}
    response = http.post(
        "/api/products/", json.dumps(body), content_type="application/json", HTTP_AUTHORIZATION=f"Token {token}"
    )
    assert response.status_code == 201, response.content


@pytest.mark.parametrize("header", ["HTTP_AUTHORIZATION", "HTTP_COOKIE", "HTTP_X_REQUEST_ID", "HTTP_ACCEPT_LANGUAGE"])
def test_nul_in_a_header_is_a_400(http, header):
    value = {"HTTP_AUTHORIZATION": "Token a\x00b", "HTTP_COOKIE": "sessionid=abc\x00def"}.get(header, "a\x00b")
    assert_json_error(http.get("/api/products/", **{header: value}), 400, "control_character")


def test_duplicate_keys_are_a_400(http):
    body = '{"username": "buyer", "username": "admin", "password": "x"}'
    assert_json_error(http.post("/api/auth/token/", body, content_type="application/json"), 400, "parse_error")
