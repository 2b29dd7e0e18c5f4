"""The OpenAPI 3 schema at /api/schema/ and the interactive docs at /api/docs/ (no CDN)."""

from __future__ import annotations

import re

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

OUR_PATHS = {
    "/api/products/": {"get", "post"},
    "/api/products/{id}/": {"get", "put", "patch", "delete"},
    "/api/reservations/": {"get", "post"},
    "/api/reservations/{id}/": {"get"},
    "/api/reservations/{id}/cancel/": {"post"},
    "/api/payments/": {"get"},
    "/api/payments/{id}/": {"get"},
    "/api/payments/{id}/pay/": {"post"},
    "/product": {"post"},
    "/products": {"get"},
    "/reservation": {"post"},
    "/reservations": {"get"},
    "/reservationupdate": {"patch"},
    "/paid": {"patch"},
    "/payments": {"get"},
}


def _generate() -> tuple[dict, list[str]]:
    GENERATOR_STATS.reset()
    with GENERATOR_STATS.silence():
        schema = SchemaGenerator().get_schema(request=None, public=True)
    problems = [*GENERATOR_STATS._warn_cache, *GENERATOR_STATS._error_cache]
    GENERATOR_STATS.reset()
    return schema, problems


def test_our_endpoints_generate_a_valid_schema_without_warnings():
    schema, problems = _generate()

    validate_schema(schema)  # raises on an invalid OpenAPI 3 document
    ours = [p for p in problems if re.search(r"(product|reservation|payment)/api\.py", p)]
    assert ours == []
    for path, methods in OUR_PATHS.items():
        assert methods <= set(schema["paths"][path]), path


def test_every_operation_documents_its_errors():
    schema, _ = _generate()
    for path, methods in OUR_PATHS.items():
        for method in methods:
            responses = schema["paths"][path][method]["responses"]
            errors = [code for code in responses if code.startswith("4")]
            assert errors, (method, path)
            for code in errors:
                ref = responses[code]["content"]["application/json"]["schema"]["$ref"]
                assert ref.split("/")[-1] in {"Error"}


def test_schema_components_carry_the_reference_field_names():
    schema, _ = _generate()
    components = schema["components"]["schemas"]
    assert {"id", "productName", "productStatus"} <= set(components["HalProductOutput"]["properties"])
    assert {"id", "productId", "reservationStatus"} <= set(components["HalReservationOutput"]["properties"])
    assert {"id", "reservationId", "productId", "paymentStatus"} <= set(components["HalPaymentOutput"]["properties"])


def test_spectacular_validate_fail_on_warn_passes(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))


@pytest.mark.django_db
def test_schema_is_served(anon):
    response = anon.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    assert "/api/reservations/{id}/cancel/" in response.json()["paths"]


@pytest.mark.django_db
def test_docs_are_served_without_any_cdn(anon):
    response = anon.get("/api/docs/")

    assert response.status_code == 200
    html = response.content.decode()
    assets = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html)
    assert assets, html[:500]
    for url in assets:
        assert not re.match(r"^(https?:)?//", url), f"external asset {url}"
    for url in re.findall(r"""["'](/static/[^"']+)["']""", html):
        assert finders.find(url.removeprefix("/static/")), f"missing static file {url}"
    assert "cdn" not in html.lower()
