"""Leaner twins of a few DRF and django-filter pieces, for the hottest list (the catalogue,
``GET /api/products/``): same validation, same errors, same SQL, same JSON, less Python per
request. Each says what it skips and falls back to the library wherever it cannot prove the
result is the same; tests/api/test_product_list_rows.py compares each with the original."""

from __future__ import annotations

import copy
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any, ClassVar

import django_filters
from django import forms
from django.core.exceptions import EmptyResultSet, FullResultSet
from django.db import connections
from django.db.models import Q, QuerySet
from django.db.models.constants import LOOKUP_SEP
from django.db.models.manager import BaseManager
from django.db.models.sql.datastructures import BaseTable
from django_filters.constants import EMPTY_VALUES
from rest_framework import filters, serializers
from rest_framework.request import Request

from market.links import Link


class _ShallowlyCopiedFilters(OrderedDict):
    """A FilterSet class's filters; a FilterSet's ``copy.deepcopy`` of them copies each shallowly."""

    def __deepcopy__(self, memo: dict) -> OrderedDict:
        return OrderedDict(
            (name, copy.copy(f) if f.method is None else copy.deepcopy(f, memo)) for name, f in self.items()
        )


class _SharedFields(dict):
    """A form class's fields; a form's ``copy.deepcopy`` of them is a new dict of the same fields."""

    def __deepcopy__(self, memo: dict) -> dict:
        return dict(self)


class LeanFilterSet(django_filters.FilterSet):
    """django-filter's FilterSet: same validation, errors and queries, with less work per request.

    - The form class is made once (django-filter makes the same class for every FilterSet) and its
      forms share its fields rather than deep-copying them: a form only reads them, to clean or render.
    - Each FilterSet copies the class's filters shallowly: it only sets their model and parent. (A
      filter with a ``method`` is still copied deeply: its FilterMethod points back at it.)
    - The lookups go into the query in one ``filter()`` (one clone of the query, not one per filter),
      in the filters' order, when every filter is a plain lookup on a column of the model itself: not
      across a relation (where chained filters mean something else), no method, ``distinct`` or
      ``exclude``, not a ChoiceFilter's null choice. Otherwise each filter filters, as usual."""

    @classmethod
    def get_filters(cls) -> OrderedDict:
        return _ShallowlyCopiedFilters(super().get_filters())

    def get_form_class(self) -> type[forms.Form]:
        cls = type(self)
        if "_form_class" not in vars(cls):
            form_class = super().get_form_class()
            form_class.base_fields = _SharedFields(form_class.base_fields)
            cls._form_class = form_class
        return cls._form_class

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        lookups = []
        for name, value in self.form.cleaned_data.items():
            if value in EMPTY_VALUES:
                continue
            filter_ = self.filters[name]
            if not _is_plain_lookup(filter_, value):
                return super().filter_queryset(queryset)
            lookups.append((f"{filter_.field_name}{LOOKUP_SEP}{filter_.lookup_expr}", value))
        return queryset.filter(Q(*lookups)) if lookups else queryset


def _is_plain_lookup(filter_: django_filters.Filter, value: Any) -> bool:
    """Whether ``filter_.filter(qs, value)`` is ``qs.filter(<field_name>__<lookup_expr>=value)`` on a
    column of the model itself."""
    if type(filter_).filter is django_filters.ChoiceFilter.filter:
        if value == filter_.null_value:
            return False
    elif type(filter_).filter is not django_filters.Filter.filter:
        return False
    return (
        filter_.method is None and not filter_.distinct and not filter_.exclude and LOOKUP_SEP not in filter_.field_name
    )


class SearchFilter(filters.SearchFilter):
    """DRF's SearchFilter, but a query without ``?search=`` has no terms at once (DRF makes and runs a
    CharField on the missing parameter to find that out, for every request)."""

    def get_search_terms(self, request: Request) -> list[str]:
        if self.search_param not in request.query_params:
            return []
        return super().get_search_terms(request)


def where_count(queryset: QuerySet) -> int | None:
    """``queryset.count()`` for a query on one table that Django counts without a subquery (no slice,
    DISTINCT, GROUP BY, aggregate, window or set operation); None for any other query.

    It sends the statement Django sends, ``SELECT COUNT(*) AS "__count" FROM table WHERE ...``, but
    compiles only the WHERE: Django's way there (a clone stripped of its columns and annotations, then
    compiled whole) cost the catalogue four times the CPU of sending the COUNT and reading it."""
    statement = count_statement(queryset)
    if statement is None or isinstance(statement, int):
        return statement
    return run_count(queryset.db, statement)


def count_statement(queryset: QuerySet) -> tuple[str, tuple] | int | None:
    """``where_count``'s statement, not sent: ``(sql, params)``; 0 when Django would answer 0
    without a query (a WHERE that matches nothing, such as ``pk__in=[]``); None when ``where_count``
    does not apply."""
    query = queryset.query
    tables = [table for alias, table in query.alias_map.items() if query.alias_refcount[alias]]  # as FROM
    if (
        len(tables) != 1
        or not isinstance(tables[0], BaseTable)
        or query.is_sliced
        or query.distinct
        or query.combinator
        or query.group_by is not None
        or query.extra_tables
        or query.where.contains_aggregate  # HAVING
        or query.where.contains_over_clause  # QUALIFY
        or any(
            getattr(annotation, "contains_aggregate", True) or getattr(annotation, "set_returning", False)
            for annotation in query.annotations.values()
        )
    ):
        return None
    connection = connections[queryset.db]
    compiler = query.get_compiler(connection=connection)
    from_sql, params = compiler.compile(tables[0])
    sql = f"SELECT COUNT(*) AS {connection.ops.quote_name('__count')} FROM {from_sql}"  # noqa: S608 (compiled SQL)
    try:
        where_sql, where_params = compiler.compile(query.where)
    except EmptyResultSet:
        return 0  # as Django answers without a query
    except FullResultSet:
        return sql, tuple(params)
    return f"{sql} WHERE {where_sql}", (*params, *where_params)


def run_count(using: str, statement: tuple[str, tuple]) -> int:
    """Send a ``count_statement`` and read the count."""
    with connections[using].cursor() as cursor:
        cursor.execute(*statement)
        return cursor.fetchone()[0]


# Field types whose to_representation reads the value and the field's own options only (no context,
# parent or request), so one prototype's bound method can render every request's rows.
ROW_FIELD_TYPES = frozenset(
    {
        serializers.BooleanField,
        serializers.CharField,
        serializers.ChoiceField,
        serializers.DateField,
        serializers.DateTimeField,
        serializers.DecimalField,
        serializers.EmailField,
        serializers.FloatField,
        serializers.IntegerField,
        serializers.UUIDField,
    }
)

RowPlan = tuple[tuple[str, str | None, Any], ...]  # (name, key, to_representation or a Link)


class RowListSerializer(serializers.ListSerializer):
    """Renders rows that are mappings of plain column values (as ``.values()`` yields) with a plan made
    once per child serializer class: ``(name, key, to_representation)`` for each readable field, None
    kept as None as ``Serializer.to_representation`` keeps it. The output is DRF's, without its work
    for every list and row (a deep copy of every declared field, ``get_attribute`` and the checks
    around it), which cost the catalogue more than its query.

    A plan holds only fields declared on the class (no ``__init__`` or ``get_fields`` of its own),
    each reading one key, each exactly of a type in ``ROW_FIELD_TYPES``, or a ``market.links.Link``
    (given the row and the context's request). Any other serializer, rows
    that are not mappings and rows that lack a key go through DRF as usual.

    Use: ``class Meta: list_serializer_class = RowListSerializer`` on the child serializer."""

    plans: ClassVar[dict[type[serializers.Serializer], RowPlan | None]] = {}

    def to_representation(self, data: Any) -> list[Any]:
        plan = self.plan_for(type(self.child))
        if plan is None or isinstance(data, BaseManager):
            return super().to_representation(data)
        rows = list(data)
        if not all(isinstance(row, Mapping) for row in rows):
            return super().to_representation(rows)
        request = self.context.get("request")
        # A Link (key None) renders this request's URLs, resolved once for all the rows.
        plan = tuple(
            (name, key, represent.for_request(request) if key is None else represent) for name, key, represent in plan
        )
        try:
            return [
                {
                    name: represent(row) if key is None else (None if (value := row[key]) is None else represent(value))
                    for name, key, represent in plan
                }
                for row in rows
            ]
        except KeyError:
            return super().to_representation(rows)  # DRF's default, omission or error for that field

    @classmethod
    def plan_for(cls, serializer_class: type[serializers.Serializer]) -> RowPlan | None:
        """The plan of ``serializer_class``'s rows, None if it cannot have one (made once)."""
        try:
            return cls.plans[serializer_class]
        except KeyError:
            pass
        fields = None
        if (
            serializer_class.__init__ is serializers.BaseSerializer.__init__
            and serializer_class.get_fields is serializers.Serializer.get_fields
            and serializer_class.to_representation is serializers.Serializer.to_representation
        ):
            fields = list(serializer_class()._readable_fields)
        if fields is None or not all(
            isinstance(f, Link) or (type(f) in ROW_FIELD_TYPES and len(f.source_attrs) == 1) for f in fields
        ):
            plan = None
        else:
            # A Link reads the whole row and the request: its key is None.
            plan = tuple(
                (f.field_name, None, f)
                if isinstance(f, Link)
                else (f.field_name, f.source_attrs[0], f.to_representation)
                for f in fields
            )
        cls.plans[serializer_class] = plan
        return plan
