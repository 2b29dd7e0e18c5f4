from django.urls import path

from bench.floor import api

urlpatterns = [
    path("ping/", api.PingApi.as_view(), name="bench-floor-ping"),
    path("reserve/", api.ReserveApi.as_view(), name="bench-floor-reserve"),
]
