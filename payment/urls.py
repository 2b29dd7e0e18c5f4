"""Routes of the payment context, mounted at the site root by market.urls."""

urlpatterns: list = []
