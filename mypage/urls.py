"""Routes of the mypage context, mounted at the site root by market.urls."""

urlpatterns: list = []
