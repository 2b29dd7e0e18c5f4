"""API conventions shared by every context: ids in URLs, input validation, documented errors and
pagination. (The reference's HAL routes have theirs in market.hal.)
(market.lean holds cheaper stand-ins for the parts of django-filter and DRF a busy list runs.)"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import EmptyPage, Page, PageNotAnInteger
from django.core.paginator import Paginator as DjangoPaginator
from django.db.models import QuerySet
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination

from market.db import MAX_ID
from market.errors import NotFound
from market.lean import count_statement, run_count, where_count
from market.schema import ERROR_REF

# What a 404 says for each noun of path_id (the contexts raise the same messages for ids that exist
# nowhere; written out so the message catalogue can translate each).
NOT_FOUND_MESSAGES = {
    "product": _("No such product."),
    "reservation": _("No such reservation."),
    "payment": _("No such payment."),
    "notification": _("No such notification."),
}


def path_id(pk: int, noun: str) -> int:
    """A URL's ``<int:pk>`` (any digits). Beyond any database id it is at once a 404, ``No such
    {noun}.`` with the code ``{noun}_not_found``, before the input is even validated."""
    if pk > MAX_ID:
        raise NotFound(str(NOT_FOUND_MESSAGES.get(noun, _("Not found."))), code=f"{noun}_not_found")
    return pk


def validated(serializer_class: type[serializers.Serializer], data: Any, *, partial: bool = False) -> dict:
    """``data`` checked by ``serializer_class``; invalid input raises DRF's ValidationError (a 400)."""
    serializer = serializer_class(data=data, partial=partial)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class ErrorResponses:
    """The errors a context's operations document, built once from the context's descriptions::

        _errors = ErrorResponses({404: "No such payment (code payment_not_found).", ...})
        @extend_schema(responses={200: PaymentOutput, **_errors(401, 404)})

    Each is the shared ``{"code", "message", "details"}`` body, the ``Error`` component that
    market.schema declares. 401, 415 and 429 read the same everywhere and need not be described."""

    COMMON = {401: "Not signed in.", 415: "Unsupported media type.", 429: "Too many requests."}

    def __init__(self, described: Mapping[int, str]) -> None:
        self.described = {**self.COMMON, **described}

    def __call__(self, *codes: int) -> dict[int, OpenApiResponse]:
        return {code: OpenApiResponse({"$ref": ERROR_REF}, description=self.described[code]) for code in codes}


class CountWhenNeededPaginator(DjangoPaginator):
    """Django's paginator, but the page's rows are read first and ``COUNT(*)`` is sent only when
    they cannot tell the total: a page with fewer rows than ``per_page`` is the last one, so the
    total is the rows before it plus these (on page 1: these). Same pages, same count, same
    errors; one query instead of two for every list that fits its page. The COUNT, when needed, is
    ``where_count``'s where it applies."""

    # Rows up to the end of the page read last: the total is at least this.
    rows_through = 0

    def page(self, number: Any) -> Page:
        try:
            if isinstance(number, float) and not number.is_integer():
                raise ValueError
            number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger(self.error_messages["invalid_page"]) from None
        if number < 1:
            raise EmptyPage(self.error_messages["min_page"])
        if self.orphans or "count" in self.__dict__ or number * self.per_page > MAX_ID:
            return super().page(number)  # (an offset beyond any row: Django counts and says "empty")
        bottom = (number - 1) * self.per_page
        rows = list(self.object_list[bottom : bottom + self.per_page])
        if len(rows) < self.per_page and (rows or (number == 1 and self.allow_empty_first_page)):
            self.__dict__["count"] = bottom + len(rows)  # Paginator.count is a cached_property
        elif not rows:
            raise EmptyPage(self.error_messages["no_results"])
        self.rows_through = bottom + len(rows)
        return self._get_page(rows, number, self)

    @cached_property
    def count(self) -> int:
        if isinstance(self.object_list, QuerySet) and (total := where_count(self.object_list)) is not None:
            return total
        return DjangoPaginator.count.func(self)


class CachedCountPaginator(CountWhenNeededPaginator):
    """For the public catalogue: a COUNT it has to send is kept in the cache for
    ``CATALOGUE_COUNT_CACHE_SECONDS`` and reused by every request with the same filters (the key is
    the COUNT's SQL and parameters, so different filters never share a total). The rows are always
    read fresh; only the total may lag by that long, by as many products as were listed, reserved
    or sold meanwhile. It never contradicts the page at hand: the total is at least the rows up to
    the end of this page. Redis (``REDIS_URL``) shares totals between processes; without it each
    process keeps its own, and a cache that is down means counting as before."""

    @cached_property
    def count(self) -> int:
        seconds = settings.CATALOGUE_COUNT_CACHE_SECONDS
        queryset = self.object_list
        if seconds <= 0 or not isinstance(queryset, QuerySet):
            return CountWhenNeededPaginator.count.func(self)
        statement = count_statement(queryset)
        if statement is None:  # not one where_count can send: Django counts
            return DjangoPaginator.count.func(self)
        if isinstance(statement, int):  # known without a query
            return statement
        key = "catalogue-count:" + hashlib.blake2b(repr((queryset.db, statement)).encode(), digest_size=16).hexdigest()
        total = cache.get(key)
        if total is None:
            total = run_count(queryset.db, statement)
            cache.set(key, total, seconds)
        return max(total, self.rows_through)


class Pagination(PageNumberPagination):
    django_paginator_class = CountWhenNeededPaginator
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100


class CataloguePagination(Pagination):
    """The catalogue's pages: totals reused for a few seconds (``CachedCountPaginator``)."""

    django_paginator_class = CachedCountPaginator
