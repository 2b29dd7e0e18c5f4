"""The payment context's page action, mounted under /shop/ by market.urls."""

from django.urls import path

from payment import pages

urlpatterns = [
    path("payments/<int:payment_id>/pay/", pages.pay, name="shop-pay"),
]
