"""The site's routes plus the benchmark's floor endpoints at /bench/floor/ (bench.settings only)."""

from django.urls import include, path

from market.urls import handler400, handler403, handler404, handler500, urlpatterns

urlpatterns = [*urlpatterns, path("bench/floor/", include("bench.floor.urls"))]

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]
