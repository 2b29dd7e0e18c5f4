"""Routes of the mypage context, mounted at the site root by market.urls."""

from django.urls import path

from mypage import api, reference_api

urlpatterns = [
    path("api/mypage/", api.MyPageListApi.as_view(), name="mypage-list"),
    path("api/mypage/sales/", api.MyPageSalesApi.as_view(), name="mypage-sales"),
    path("api/mypage/<int:reservation_id>/", api.MyPageDetailApi.as_view(), name="mypage-detail"),
    path("myPages", reference_api.MyPagesHalApi.as_view(), name="mypages-hal"),
]
