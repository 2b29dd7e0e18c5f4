"""The notice context's web page, mounted under /shop/ by market.urls."""

from django.urls import path

from notice import pages

urlpatterns = [
    path("my/notifications/", pages.my_notifications, name="shop-notifications"),
]
