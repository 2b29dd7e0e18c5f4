"""The product context's web pages, mounted under /shop/ by market.urls."""

from django.urls import path

from product import pages

urlpatterns = [
    path("", pages.catalogue, name="shop-catalogue"),
    path("products/<int:product_id>/", pages.product_page, name="shop-product"),
    path("sell/", pages.sell, name="shop-sell"),
    path("my/products/", pages.my_products, name="shop-my-products"),
    path("products/<int:product_id>/wish/", pages.wish, name="shop-wish"),
    path("my/wishes/", pages.my_wishes, name="shop-my-wishes"),
]
