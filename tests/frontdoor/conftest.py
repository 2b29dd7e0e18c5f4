"""The front-door tests reuse the API tests' small market and helpers."""

from tests.api.conftest import make_product, market, reserve  # noqa: F401 (fixtures)
