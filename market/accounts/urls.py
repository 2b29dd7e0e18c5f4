from django.urls import path

from market.accounts import api

urlpatterns = [
    path("api/auth/register/", api.RegisterApi.as_view(), name="register"),
    path("api/auth/token/", api.TokenLoginApi.as_view(), name="token"),
    path("api/auth/me/", api.MeApi.as_view(), name="me"),
]
