"""Routes of the reservation context, mounted at the site root by market.urls."""

urlpatterns: list = []
