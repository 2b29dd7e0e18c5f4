"""API conventions shared by every context: ids in URLs, pagination and the HAL collection shape
of the reference's Spring Data REST routes."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination

from market.db import MAX_ID
from market.errors import NotFound


def path_id(pk: int, noun: str) -> int:
    """A URL's ``<int:pk>`` (any digits). Beyond any database id it is at once a 404, ``No such
    {noun}.`` with the code ``{noun}_not_found``, before the input is even validated."""
    if pk > MAX_ID:
        raise NotFound(f"No such {noun}.", code=f"{noun}_not_found")
    return pk


def validated(serializer_class: type[serializers.Serializer], data: Any, *, partial: bool = False) -> dict:
    """``data`` checked by ``serializer_class``; invalid input raises DRF's ValidationError (a 400)."""
    serializer = serializer_class(data=data, partial=partial)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class Pagination(PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100


def hal_collection(name: str, items: Iterable[dict[str, Any]], self_href: str) -> dict[str, Any]:
    """``{"_embedded": {name: [...]}, "_links": {"self": {"href": ...}}}`` as Spring Data REST did."""
    return {"_embedded": {name: list(items)}, "_links": {"self": {"href": self_href}}}
