"""Routes of the product context, mounted at the site root by market.urls."""

from django.urls import path

from product import api, reference_api

urlpatterns = [
    path("api/products/", api.ProductListApi.as_view(), name="product-list"),
    path("api/products/scroll/", api.ProductScrollApi.as_view(), name="product-scroll"),
    path("api/products/<int:pk>/", api.ProductDetailApi.as_view(), name="product-detail"),
    path("api/products/<int:pk>/wish/", api.ProductWishApi.as_view(), name="product-wish"),
    path("api/wishes/", api.WishListApi.as_view(), name="wish-list"),
    # The reference's routes (Spring Data REST), same paths, bodies and status codes.
    path("product", reference_api.HalProductRegisterApi.as_view(), name="hal-product-register"),
    path("products", reference_api.HalProductListApi.as_view(), name="hal-product-list"),
]
