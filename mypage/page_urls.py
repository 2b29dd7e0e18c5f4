"""The my-page context's web pages, mounted under /shop/ by market.urls."""

from django.urls import path

from mypage import pages

urlpatterns = [
    path("my/", pages.my_reservations, name="shop-my"),
    path("my/rows/", pages.my_reservations_rows, name="shop-my-rows"),
    path("my/sales/", pages.sales, name="shop-sales"),
    path("my/sales/rows/", pages.sales_rows, name="shop-sales-rows"),
]
