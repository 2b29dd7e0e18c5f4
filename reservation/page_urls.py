"""The reservation context's page actions, mounted under /shop/ by market.urls."""

from django.urls import path

from reservation import pages

urlpatterns = [
    path("products/<int:product_id>/reserve/", pages.reserve, name="shop-reserve"),
    path("reservations/<int:reservation_id>/cancel/", pages.cancel, name="shop-cancel"),
    path("reservations/<int:reservation_id>/decline/", pages.decline, name="shop-decline"),
]
