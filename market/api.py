"""API conventions shared by every context: pagination and the HAL collection shape of the
reference's Spring Data REST routes."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rest_framework.pagination import PageNumberPagination


class Pagination(PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100


def hal_collection(name: str, items: Iterable[dict[str, Any]], self_href: str) -> dict[str, Any]:
    """``{"_embedded": {name: [...]}, "_links": {"self": {"href": ...}}}`` as Spring Data REST did."""
    return {"_embedded": {name: list(items)}, "_links": {"self": {"href": self_href}}}
