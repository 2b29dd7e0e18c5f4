"""Queries of the product context."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from market.db import get_or_404
from product.models import Product, Wish


def product_list() -> QuerySet[Product]:
    return Product.objects.select_related("seller").order_by("-id")


def product_list_rows() -> QuerySet[dict[str, Any]]:
    """``product_list()`` as plain rows: the product's columns, ``seller_username`` and ``can_edit``.

    The catalogue is the busiest read; building a Product and a User (every column of auth_user)
    for each of a page's rows cost more than its query. The username is a subquery, not a join,
    because Django drops unused annotations from ``count()`` but keeps their joins: the page's
    COUNT(*) stays on product_product alone, which its (status, price) index answers by itself."""
    # [:1], Django's usual form of a one-value subquery: where PostgreSQL scans a small user table
    # rather than use its key, it stops at the seller instead of reading the table to the end.
    usernames = get_user_model().objects.filter(pk=OuterRef("seller_id")).values("username")[:1]
    return Product.objects.values(
        "id",
        "name",
        "description",
        "price",
        "status",
        "seller_id",
        "created_at",
        "updated_at",
        seller_username=Subquery(usernames),
        can_edit=Product.can_edit_condition(),
    ).order_by("-id")


def seller_ids_named(username: str) -> QuerySet:
    """The id of the user called ``username`` (none if nobody is), as a subquery: the catalogue
    filtered by a seller's name still reads product_product alone, its COUNT included."""
    return get_user_model().objects.filter(username=username).values("pk")


def product_get(*, product_id: int) -> Product:
    return get_or_404(Product.objects.select_related("seller"), product_id, _("No such product."), "product_not_found")


def product_list_for_seller(*, seller) -> QuerySet[Product]:
    return product_list().filter(seller=seller)


def product_search(
    *, search: str = "", status: str = "", min_price: int | None = None, max_price: int | None = None
) -> QuerySet[Product]:
    """The catalogue as the web pages browse it: newest first, narrowed as the API's filters do
    (``search`` in the name, ignoring case; a status; a price range in whole won)."""
    products = product_list()
    if search:
        products = products.filter(name__icontains=search)
    if status:
        products = products.filter(status=status)
    if min_price is not None:
        products = products.filter(price__gte=min_price)
    if max_price is not None:
        products = products.filter(price__lte=max_price)
    return products


def product_reservable_by(*, product: Product, user) -> bool:
    """Whether to offer ``user`` a Reserve button: the product is available and not their own.
    (Reserving decides for itself; this only spares people a button that can only say no.)"""
    return product.can_be_held_by(getattr(user, "pk", None))


def product_get_with_wish_count(*, product_id: int) -> Product:
    """``product_get`` with ``wish_count``: how many users wish for it (never who), in the same query."""
    wishes = Wish.objects.filter(product=OuterRef("pk")).order_by().values("product").annotate(n=Count("pk"))
    products = Product.objects.select_related("seller").annotate(wish_count=Coalesce(Subquery(wishes.values("n")), 0))
    return get_or_404(products, product_id, _("No such product."), "product_not_found")


def wish_list_for(*, user) -> QuerySet[Wish]:
    """``user``'s wish list, newest first, with each product's current status and price."""
    return Wish.objects.filter(user=user).select_related("product", "product__seller").order_by("-id")


def product_wished_by(*, product: Product, user) -> bool:
    """Whether ``user`` has ``product`` on their wish list (anonymous: no)."""
    if not getattr(user, "is_authenticated", False):
        return False
    return Wish.objects.filter(product=product, user=user).exists()
