"""GET /api/products/ reads plain rows (``selectors.product_list_rows``) from a queryset built once,
not Product instances, renders them with ``market.lean.RowListSerializer``, filters with
``market.lean.LeanFilterSet`` (its form class made once, no deep copies, one ``filter()``), counts with
``market.lean.where_count`` and names the time zone of its timestamps: all for speed only. The rows
must show each product exactly as the model does, the page's COUNT must stay on product_product,
queries and errors must read as before, and each shortcut must step aside where it does not apply."""

from __future__ import annotations

import datetime
import zoneinfo

import django_filters
import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Count, Q
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from rest_framework import serializers

from market.lean import LeanFilterSet, RowListSerializer, where_count
from product import selectors
from product.api import ProductFilter, ProductOutput
from product.models import Product
from tests.support.market import assert_error

pytestmark = pytest.mark.django_db


def test_a_listed_product_reads_exactly_as_its_detail_in_every_state(anon, seller, make_product):
    products = {status: make_product(seller, name=status, price=100) for status in Product.Status.values}
    for status, product in products.items():
        held_by = None if status == Product.Status.AVAILABLE else product.pk
        Product.objects.filter(pk=product.pk).update(status=status, held_by_reservation_id=held_by)

    listed = anon.get("/api/products/").json()["results"]

    assert len(listed) == len(products)
    for item in listed:
        product = Product.objects.select_related("seller").get(pk=item["id"])
        detail = anon.get(f"/api/products/{product.pk}/").json()
        assert detail.pop("wish_count") == 0  # the detail alone counts wishes (찜)
        assert list(item.items()) == list(detail.items())  # same fields, same order, same values
        assert item["editable"] is product.can_edit()  # can_edit_condition() agrees with can_edit()
        # ProductOutput names settings.TIME_ZONE; DRF's default (the active zone) says the same.
        assert item["created_at"] == serializers.DateTimeField().to_representation(product.created_at)


def test_the_page_total_is_counted_on_products_alone(anon, seller, make_product):
    for i in range(3):
        make_product(seller, name=f"p{i}", price=i)

    with CaptureQueriesContext(connection) as queries:
        body = anon.get("/api/products/?page_size=2").json()

    assert body["count"] == 3 and [p["seller"] for p in body["results"]] == ["seller", "seller"]
    assert len(queries) == 2
    (count,) = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    assert "auth_user" not in count and "JOIN" not in count.upper()


def test_the_list_built_once_still_reads_afresh_each_time(anon, seller, make_product):
    assert anon.get("/api/products/").json()["count"] == 0
    make_product(seller, name="Lamp")

    assert [p["name"] for p in anon.get("/api/products/").json()["results"]] == ["Lamp"]


@pytest.mark.parametrize(
    ("query", "details"),
    [
        ("status=bogus", {"status": ["Select a valid choice. bogus is not one of the available choices."]}),
        ("min_price=abc", {"min_price": ["Enter a number."]}),
        ("max_price=-1", {"max_price": ["Ensure this value is greater than or equal to 0."]}),
        ("seller_id=0", {"seller_id": ["Ensure this value is greater than or equal to 1."]}),
        ("min_price=1000000001", {"min_price": ["Ensure this value is less than or equal to 1000000000."]}),
    ],
)
def test_filter_errors_read_as_before(anon, seller, make_product, query, details):
    make_product(seller, price=5)
    for _ in range(2):  # the form class is shared between requests, its data and errors are not
        assert assert_error(anon.get(f"/api/products/?{query}"), 400, "invalid")["details"] == details
        assert anon.get("/api/products/?status=available&min_price=5&max_price=5").json()["count"] == 1


# --- RowListSerializer --------------------------------------------------------------------------------

SEOUL = zoneinfo.ZoneInfo("Asia/Seoul")


class RowOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="title")
    note = serializers.CharField(allow_null=True)
    kind = serializers.ChoiceField(choices=[("a", "A"), ("b", "B")])
    ok = serializers.BooleanField()
    at = serializers.DateTimeField(default_timezone=SEOUL)
    secret = serializers.CharField(write_only=True)

    class Meta:
        list_serializer_class = RowListSerializer


ROWS = [
    {
        "id": 1,
        "title": "Desk",
        "note": None,
        "kind": "a",
        "ok": 1,
        "at": datetime.datetime(2024, 5, 1, tzinfo=datetime.UTC),
    },
    {"id": "2", "title": 7, "note": "n", "kind": None, "ok": None, "at": None},
]


def drf_list(serializer_class, rows):
    """What DRF's own ListSerializer renders."""
    return serializers.ListSerializer(rows, child=serializer_class()).data


def test_rows_render_as_drf_renders_them_none_included():
    data = RowOutput(ROWS, many=True).data

    assert RowListSerializer.plan_for(RowOutput) is not None  # the rows took the plan
    assert data == drf_list(RowOutput, ROWS)
    assert [list(item) for item in data] == [["id", "name", "note", "kind", "ok", "at"]] * 2
    assert data[0] == {
        "id": 1,
        "name": "Desk",
        "note": None,
        "kind": "a",
        "ok": True,
        "at": "2024-05-01T09:00:00+09:00",
    }
    assert data[1] == {"id": 2, "name": "7", "note": "n", "kind": None, "ok": None, "at": None}


def test_objects_and_missing_keys_go_through_drf():
    class Row:
        def __init__(self, **values):
            self.__dict__.update(values)

    objects = [Row(**row) for row in ROWS]
    assert RowOutput(objects, many=True).data == drf_list(RowOutput, ROWS)

    class WithDefault(RowOutput):
        extra = serializers.CharField(default="none given")

    assert RowListSerializer.plan_for(WithDefault) is not None
    assert [item["extra"] for item in WithDefault(ROWS, many=True).data] == ["none given"] * 2


@pytest.mark.parametrize(
    "field",
    [
        serializers.SerializerMethodField(),  # reads the serializer
        serializers.CharField(source="a.b"),  # more than one key
        serializers.CharField(source="*"),  # the whole row
        type("Shouting", (serializers.CharField,), {"to_representation": lambda self, v: str(v).upper()})(),
    ],
)
def test_serializers_the_plan_cannot_hold_are_rendered_by_drf(field):
    serializer_class = type("Output", (RowOutput,), {"other": field, "get_other": lambda self, row: "m"})
    rows = [{**row, "other": "x", "a": {"b": "y"}} for row in ROWS]

    assert RowListSerializer.plan_for(serializer_class) is None
    assert serializer_class(rows, many=True).data == drf_list(serializer_class, rows)


def test_the_catalogue_renders_its_rows_as_drf_renders_products(seller, make_product):
    make_product(seller, name="Lamp", description="old")
    rows = list(selectors.product_list_rows())
    products = list(selectors.product_list())

    assert RowListSerializer.plan_for(ProductOutput) is not None
    assert ProductOutput(rows, many=True).data == drf_list(ProductOutput, rows) == drf_list(ProductOutput, products)


# --- where_count --------------------------------------------------------------------------------------


def counted(queryset):
    """``where_count(queryset)`` and the statements it sent."""
    with CaptureQueriesContext(connection) as queries:
        total = where_count(queryset)
    return total, [q["sql"] for q in queries.captured_queries]


def test_where_count_sends_the_count_django_sends(seller, make_product):
    for price in (1, 2, 3):
        make_product(seller, price=price)
    rows = selectors.product_list_rows()

    for queryset in [rows, rows.filter(price__gte=2, status="available"), rows.filter(seller__in=[seller.pk])]:
        with CaptureQueriesContext(connection) as queries:
            expected = queryset.count()
        assert counted(queryset) == (expected, [q["sql"] for q in queries.captured_queries])

    assert counted(rows.none()) == (0, [])  # as Django: no query for a WHERE that matches nothing
    assert counted(rows.filter(pk__in=[])) == (0, [])


def test_where_count_leaves_other_queries_to_django(seller, make_product):
    make_product(seller)
    rows = selectors.product_list_rows()
    products = Product.objects.all()

    for queryset in [
        rows[:1],
        rows.distinct(),
        products.filter(seller__username="seller"),  # a join
        products.annotate(n=Count("seller__products")),
        products.values("seller_id").annotate(n=Count("id")),
        products.union(products),
        get_user_model().objects.filter(Q(products__price__gte=0)),
    ]:
        assert where_count(queryset) is None, queryset.query


# --- LeanFilterSet ------------------------------------------------------------------------------------


class DjangoProductFilter(django_filters.FilterSet):
    """ProductFilter as plain django-filter."""

    status = ProductFilter.base_filters["status"]
    seller = ProductFilter.base_filters["seller"]
    seller_id = ProductFilter.base_filters["seller_id"]
    min_price = ProductFilter.base_filters["min_price"]
    max_price = ProductFilter.base_filters["max_price"]

    class Meta:
        model = Product
        fields = ["status", "seller", "seller_id", "min_price", "max_price"]

    by_seller_username = ProductFilter.by_seller_username


@pytest.mark.parametrize(
    "query",
    [
        "",
        "status=available&min_price=100&max_price=300",
        "max_price=5&seller_id=3&status=pending",
        "min_price=7",
        "seller=seller&status=available",
    ],
)
def test_lean_filters_build_the_query_django_filter_builds(query):
    rows = selectors.product_list_rows()
    data = QueryDict(query)

    lean, plain = ProductFilter(data, rows), DjangoProductFilter(data, rows)

    assert lean.is_valid() and plain.is_valid()
    assert str(lean.qs.query) == str(plain.qs.query)


def test_each_filterset_has_filters_and_a_form_of_its_own():
    one, two = ProductFilter(QueryDict("min_price=1"), Product.objects.all()), ProductFilter(QueryDict("min_price=x"))

    assert one.is_valid() and not two.is_valid()
    assert one.filters["status"] is not two.filters["status"] is not ProductFilter.base_filters["status"]
    assert one.filters["status"].parent is one and two.filters["status"].parent is two
    assert one.form.fields is not two.form.fields and one.form.errors != two.form.errors


def test_filters_that_are_not_plain_lookups_filter_one_by_one(seller, make_product):
    cheap, dear = make_product(seller, price=1), make_product(seller, price=9)

    class Filters(LeanFilterSet):
        status = django_filters.ChoiceFilter(choices=Product.Status.choices, null_label="none")
        dear = django_filters.BooleanFilter(method="filter_dear")
        seller_name = django_filters.CharFilter(field_name="seller__username")
        not_price = django_filters.NumberFilter(field_name="price", exclude=True)

        class Meta:
            model = Product
            fields = ["status"]

        def filter_dear(self, queryset, name, value):
            return queryset.filter(price__gt=5) if value else queryset.filter(price__lte=5)

    def ids(query):
        filters = Filters(QueryDict(query), Product.objects.all())
        assert filters.is_valid(), filters.errors
        return sorted(filters.qs.values_list("id", flat=True))

    assert ids("dear=true") == [dear.pk] and ids("dear=false&status=available") == [cheap.pk]
    assert ids("seller_name=seller&not_price=1") == [dear.pk]
    assert ids("status=null") == []  # the null choice: status IS NULL
    assert ids("status=available&min=") == [cheap.pk, dear.pk]
