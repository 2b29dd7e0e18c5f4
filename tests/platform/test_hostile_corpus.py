"""A corpus of hostile requests against every route of the URLconf (issue 13, finding 9), through
the production WSGI application as gunicorn calls it.

For every route: NUL and other control characters in query parameters, headers, JSON strings and
form fields; huge and negative numbers; ids beyond 2^63; invalid UTF-8 in the path, the query and
the body; overlong headers; every method; wrong content types and charsets; duplicate keys; deep
nesting; oversized and malformed lengths. Every answer must be below 500, and every error JSON in
the project's shape (``{"code", "message"[, "details"]}``), never an HTML page. Input that is
refused before any view runs (control characters in the path, query, headers or form fields, a
charset we do not read, an oversized or malformed body length) must be a 4xx on every route.

Run on SQLite and on PostgreSQL (where NUL and out-of-range integers used to be 500s).
"""

from __future__ import annotations

import json
import re

import pytest
from django.conf import settings as django_settings
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.authtoken.models import Token

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

ALL_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD")
WRITES = ("POST", "PUT", "PATCH")
HIGH_RATES = {scope: "1000000/min" for scope in ("reserve", "cancel", "pay", "register", "token")}
FIELDS = (
    "product_id",
    "productId",
    "reservationId",
    "id",
    "name",
    "productName",
    "price",
    "description",
    "status",
    "productStatus",
    "reservationStatus",
    "paymentStatus",
    "username",
    "password",
    "phone",
)


def _walk(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern)


def _concrete(route: str, ident: str) -> str:
    route = route.replace("^", "").replace("$", "")
    route = re.sub(r"\(\?P<app_label>[^)]*\)", "product", route)
    route = re.sub(r"\(\?P<url>[^)]*\)", "no-such-page/", route)
    return "/" + re.sub(r"<(?:\w+:)?\w+>", ident, route)


ROUTES = sorted(set(_walk(get_resolver().url_patterns)))
HAS_ID = {route for route in ROUTES if "<" in route}


def _is_admin(route: str) -> bool:
    return route.startswith("admin/")


# --- what is sent ----------------------------------------------------------------------------

REFUSED_UP_FRONT = [
    # (description, query, headers, body): refused before any view, on every route and method.
    ("NUL in a query parameter", "q=%00&search=x", {}, b""),
    ("control character in a query parameter", "status__exact=a%01b", {}, b""),
    ("NUL in a query parameter name", "%00=1", {}, b""),
    ("control character in a header", "", {"X-Request-ID": "req\x01id"}, b""),
    ("NUL in the Authorization header", "", {"Authorization": "Token ab\x00cd"}, b""),
    ("NUL in a cookie", "", {"Cookie": "sessionid=abc\x00def"}, b""),
    ("a non-text charset", "", {"Content-Type": "application/json; charset=zlib"}, b"{}"),
    ("base64 as a charset", "", {"Content-Type": "application/json; charset=base64"}, b"e30="),
    ("an unknown charset", "", {"Content-Type": "text/plain; charset=klingon"}, b"x"),
    ("a body over the limit", "", {"Content-Type": "application/json", "Content-Length": str(10 * 2**20)}, b"{}"),
    ("a malformed Content-Length", "", {"Content-Type": "application/json", "Content-Length": "lots"}, b"{}"),
    ("a negative Content-Length", "", {"Content-Type": "application/json", "Content-Length": "-5"}, b"{}"),
]

FORM_NUL = ("NUL in a form field", "", {"Content-Type": "application/x-www-form-urlencoded"}, b"name=a%00b&price=1")


def _json(value) -> bytes:
    return json.dumps({field: value for field in FIELDS}).encode()


BODIES = [
    # (description, content type, body): the view may or may not read it; never a 5xx.
    ("NUL in every JSON string", "application/json", _json("a\x00b")),
    ("control characters in every JSON string", "application/json", _json("\x01\x1b[31m\x7f")),
    ("a lone surrogate", "application/json", b'{"name": "\\ud800", "product_id": "\\udfff"}'),
    ("numbers beyond 2^63", "application/json", _json(2**64 + 1)),
    ("huge numbers", "application/json", _json(10**400)),
    ("negative numbers", "application/json", _json(-(2**63) - 1)),
    ("floats", "application/json", _json(1e308)),
    ("NaN", "application/json", b'{"price": NaN, "product_id": Infinity}'),
    ("wrong types", "application/json", _json([{"a": None}])),
    ("booleans", "application/json", _json(True)),
    ("null", "application/json", b"null"),
    ("a bare string", "application/json", b'"hello"'),
    ("a list", "application/json", b"[1, 2, 3]"),
    ("duplicate keys", "application/json", b'{"product_id": 1, "product_id": 2, "name": "a", "name": "b"}'),
    ("nesting a thousand deep", "application/json", b"[" * 1000 + b"]" * 1000),
    ("invalid JSON", "application/json", b'{"product_id": '),
    ("invalid UTF-8", "application/json", b'{"name": "\xff\xfe\xc3\x28", "product_id": 1}'),
    ("a UTF-8 BOM", "application/json", b'\xef\xbb\xbf{"product_id": 1}'),
    ("XML", "application/xml", b"<product><id>1</id></product>"),
    ("plain text", "text/plain", b"product_id=1"),
    ("no content type", "", b'{"product_id": 1}'),
    ("a broken multipart body", "multipart/form-data; boundary=xyz", b"--xyz\r\nContent-Disposition: form-data"),
    ("multipart without a boundary", "multipart/form-data", b"whatever"),
    ("a form with huge numbers", "application/x-www-form-urlencoded", b"product_id=99999999999999999999&price=-1"),
    ("a form with invalid UTF-8", "application/x-www-form-urlencoded", b"name=%ff%fe&productId=%c3%28"),
]

IDS = ["9223372036854775808", "99999999999999999999999999999", "0", "-1", "abc", "\xff\xfe"]

OVERLONG = [
    {"Authorization": "Token " + "a" * 20_000},
    {"Authorization": "Basic " + "QUFB" * 5_000},
    {"Cookie": "sessionid=" + "s" * 20_000},
    {"Accept-Language": "ko-KR," * 3_000},
    {"X-Request-ID": "r" * 20_000},
    {"X-Forwarded-For": "1.2.3.4, " * 3_000},
    {"Accept": "application/json;" * 2_000},
]

ODD_QUERIES = ["page=99999999999999999999", "page=-1&page_size=10000000", "q=%ff%fe", "min_price=1e999", "o=%00"]


# --- how answers are judged ------------------------------------------------------------------


def check(answer, what: str, *, must_refuse: bool = False) -> None:
    assert answer.status < 500, f"{what}: {answer}"
    if answer.status >= 400 or must_refuse:
        assert 400 <= answer.status < 500, f"{what}: {answer}"
        if answer.status == 405 and not answer.content:
            pytest.fail(f"{what}: empty 405")
        if " /shop/" in what and answer.content_type.startswith("text/html"):
            # The web pages answer people: a deliberate 4xx page with a message, never a 5xx.
            assert answer.content, f"{what}: {answer}"
            return
        if not answer.content:  # HEAD: no body, but the headers say JSON
            assert answer.content_type.startswith("application/json"), f"{what}: {answer}"
            return
        assert answer.content_type.startswith("application/json"), f"{what}: {answer}"
        body = answer.json()
        assert isinstance(body, dict) and body.get("code") and body.get("message"), f"{what}: {answer}"
        assert set(body) <= {"code", "message", "details"}, f"{what}: {answer}"


@pytest.fixture
def identities(make_user, staff, drain):
    """A seller with a product, a buyer holding another; the buyer's token and a staff session."""
    from product.services import product_register
    from reservation.services import reservation_place

    seller = make_user("corpusseller", phone="01011112222")
    buyer = make_user("corpusbuyer", phone="01033334444")
    product_register(seller=seller, name="Lamp", price=1000, description="")
    held = product_register(seller=seller, name="Desk", price=5000, description="")
    reservation_place(buyer=buyer, product_id=held.pk)
    drain()
    client = Client()
    client.force_login(staff)
    return {
        "api": {"Authorization": f"Token {Token.objects.get_or_create(user=buyer)[0].key}"},
        "admin": {"Cookie": f"{django_settings.SESSION_COOKIE_NAME}={client.cookies['sessionid'].value}"},
        "anonymous": {},
        "real_id": str(held.pk),
    }


@pytest.fixture(autouse=True)
def generous_limits():
    """The corpus must reach the views, not the rate limits (which answer 429 JSON, fine too)."""
    rest = {**django_settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": HIGH_RATES}
    with override_settings(REST_FRAMEWORK=rest, SIGNIN_FAILURE_RATES={"username": "1000000/min", "ip": "1000000/min"}):
        yield


@pytest.mark.parametrize("route", ROUTES)
def test_every_route_answers_hostile_input_with_a_json_4xx_never_a_5xx(route, identities, wsgi):
    admin = _is_admin(route)
    me = identities["admin" if admin else "api"]
    path = _concrete(route, identities["real_id"])
    # Each route gets every method somewhere below; the costly loops rotate through the writes
    # instead of repeating each input on all of them (the same code answers them).
    turn = ROUTES.index(route)
    write = WRITES[turn % len(WRITES)]
    other = ("PUT", "PATCH", "DELETE")[turn % 3]

    # Refused before any view, signed in or not.
    for description, query, headers, body in [*REFUSED_UP_FRONT, FORM_NUL]:
        for method, who in (("GET", me), ("POST", me), (other, me), ("POST", identities["anonymous"])):
            if description == FORM_NUL[0] and method != "POST":
                continue
            answer = wsgi(method, path, body, query=query, headers={**who, **headers})
            check(answer, f"{method} {path}?{query} {description}", must_refuse=True)
    assert wsgi("GET", path + "\x00", headers=me).status == 400  # NUL in the path (WSGI paths are decoded)

    # Bodies: whatever the view makes of them, never a 5xx, never HTML.
    for description, content_type, body in BODIES if not admin else BODIES[:2]:
        for method in ("POST", write) if not admin else ("POST",):
            headers = {**me, "Content-Type": content_type} if content_type else dict(me)
            check(wsgi(method, path, body, headers=headers), f"{method} {path} {description}")

    # Ids that name no row, beyond 2^63, negative, not numbers, invalid UTF-8.
    if route in HAS_ID:
        for ident in IDS:
            odd = _concrete(route, ident)
            for method in ("GET",) if admin else ("GET", "POST", other):
                body = b'{"product_id": 1}' if method in WRITES else b""
                check(wsgi(method, odd, body, headers={**me, "Content-Type": "application/json"}), f"{method} {odd}")

    # Every method, with a sane body.
    for method in ALL_METHODS:
        check(wsgi(method, path, b"{}", headers={**me, "Content-Type": "application/json"}), f"{method} {path}")

    # Overlong headers, odd queries.
    for headers in OVERLONG[:2] if admin else OVERLONG:
        check(wsgi("GET", path, headers={**me, **headers}), f"GET {path} overlong {next(iter(headers))}")
    for query in ODD_QUERIES[:2] if admin else ODD_QUERIES:
        check(wsgi("GET", path, query=query, headers=me), f"GET {path}?{query}")
