"""Routes of the notice context, mounted at the site root by market.urls."""

urlpatterns: list = []
