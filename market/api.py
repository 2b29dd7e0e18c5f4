"""API conventions shared by every context: ids in URLs, input validation, documented errors and
pagination. (The reference's HAL routes have theirs in market.hal.)"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.paginator import EmptyPage, Page, PageNotAnInteger
from django.core.paginator import Paginator as DjangoPaginator
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.pagination import CursorPagination, PageNumberPagination
from rest_framework.request import Request
from rest_framework.utils.urls import remove_query_param, replace_query_param

from market.db import MAX_ID
from market.errors import NotFound
from market.response_cache import canonical_url
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
    errors; one query instead of two for every list that fits its page."""

    def page(self, number: Any) -> Page:
        try:
            if isinstance(number, float) and not number.is_integer():
                raise ValueError
            number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger(self.error_messages["invalid_page"]) from None
        if number < 1:
            raise EmptyPage(self.error_messages["min_page"])
        if self.orphans or number * self.per_page > MAX_ID:
            return super().page(number)  # (an offset beyond any row: Django counts and says "empty")
        bottom = (number - 1) * self.per_page
        rows = list(self.object_list[bottom : bottom + self.per_page])
        if len(rows) < self.per_page and (rows or (number == 1 and self.allow_empty_first_page)):
            # Paginator.count is a cached_property: setting it is setting its cached value.
            self.count = bottom + len(rows)
        elif not rows:
            raise EmptyPage(self.error_messages["no_results"])
        return Page(rows, number, self)


class Pagination(PageNumberPagination):
    django_paginator_class = CountWhenNeededPaginator
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100


class CataloguePagination(Pagination):
    """Page numbers for a list whose anonymous responses are cached (``market.response_cache``):
    the links carry the request's canonical query (the view's ``query_parameters``), so a cached
    copy links the same for every reader that shares it."""

    def paginate_queryset(self, queryset: QuerySet, request: Request, view: Any = None) -> list | None:
        self.base_url = canonical_url(request, view.query_parameters, {self.page_query_param: "1"})
        return super().paginate_queryset(queryset, request, view)

    def get_next_link(self) -> str | None:
        if not self.page.has_next():
            return None
        return replace_query_param(self.base_url, self.page_query_param, self.page.next_page_number())

    def get_previous_link(self) -> str | None:
        if not self.page.has_previous():
            return None
        number = self.page.previous_page_number()
        if number == 1:
            return remove_query_param(self.base_url, self.page_query_param)
        return replace_query_param(self.base_url, self.page_query_param, number)


class CatalogueCursorPagination(CursorPagination):
    """Cursor pages for infinite scroll: ``next`` and ``previous`` only, no total and no page
    numbers, so a page costs one query however deep the reader scrolls, and rows listed meanwhile
    neither repeat nor go missing. The order is the view's (``?ordering=``), with the id as the
    tie-breaker; links carry the canonical query, as ``CataloguePagination``'s do."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_ordering(self, request: Request, queryset: QuerySet, view: Any) -> tuple[str, ...]:
        ordering = tuple(super().get_ordering(request, queryset, view))
        if not {"id", "-id"} & set(ordering):
            ordering = (*ordering, "-id" if ordering[0].startswith("-") else "id")
        return ordering

    def paginate_queryset(self, queryset: QuerySet, request: Request, view: Any = None) -> list | None:
        rows = super().paginate_queryset(queryset, request, view)
        self.base_url = canonical_url(request, view.query_parameters)
        return rows
