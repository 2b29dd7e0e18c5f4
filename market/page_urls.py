"""The shared part of the web pages under /shop/ (mounted by market.urls): accounts and the
language switch. Each context mounts its own pages beside these (``<context>/page_urls.py``)."""

from django.urls import path
from django.views.i18n import set_language

from market.accounts import pages
from market.web import page_view

urlpatterns = [
    path("signup/", pages.sign_up, name="shop-signup"),
    path("signin/", page_view(pages.SignInView.as_view()), name="shop-signin"),
    path("signout/", page_view(pages.SignOutView.as_view()), name="shop-signout"),
    # Django's own view: stores the choice in the language cookie and goes back to ``next``.
    path("language/", set_language, name="shop-language"),
]
