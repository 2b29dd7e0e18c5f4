"""The site's routes. Each context mounts its own urls.py at the root (by dotted path, so market
imports no app); the shared pieces (accounts, schema, docs, health) live here."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from market import frontdoor, health

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("", frontdoor.home, name="home"),
    path("api/", frontdoor.ApiRootView.as_view(), name="api-root"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api-auth/", include("rest_framework.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # GET only: the HTML pages' OPTIONS answer would render a template that does not exist (a 500).
    path(
        "api/docs/", SpectacularSwaggerView.as_view(url_name="schema", http_method_names=["get", "head"]), name="docs"
    ),
    path(
        "api/redoc/", SpectacularRedocView.as_view(url_name="schema", http_method_names=["get", "head"]), name="redoc"
    ),
    path("", include("market.accounts.urls")),
    path("", include("market.ops_urls")),
    path("", include("product.urls")),
    path("", include("reservation.urls")),
    path("", include("payment.urls")),
    path("", include("notice.urls")),
    path("", include("mypage.urls")),
]

# The web pages for people (/shop/): accounts and the language switch from market, then each
# context's own pages (by dotted path, as above).
urlpatterns += [
    path("shop/", include("market.page_urls")),
    path("shop/", include("product.page_urls")),
    path("shop/", include("reservation.page_urls")),
    path("shop/", include("payment.page_urls")),
    path("shop/", include("notice.page_urls")),
    path("shop/", include("mypage.page_urls")),
]

handler400 = "market.errors.json_400"
handler403 = "market.errors.json_403"
handler404 = "market.errors.json_404"
handler500 = "market.errors.json_500"
