"""Routes of the product context, mounted at the site root by market.urls."""

urlpatterns: list = []
