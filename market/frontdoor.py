"""The front doors: the home page at ``/`` (HTML, for people) and the API root at ``/api/``, which
lists every resource by its absolute URL like DRF's ``DefaultRouter`` root, so the browsable API
can be walked from there by links alone. Routes are reversed by name: market imports no app."""

from __future__ import annotations

from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

# (key in the root's JSON, route name): in the order a newcomer meets them.
API_ROOT = [
    ("products", "product-list"),
    ("reservations", "reservation-list"),
    ("payments", "payment-list"),
    ("mypage", "mypage-list"),
    ("mypage_sales", "mypage-sales"),
    ("notifications", "notification-list"),
    ("auth_register", "register"),
    ("auth_token", "token"),
    ("auth_me", "me"),
    ("schema", "schema"),
    ("docs", "docs"),
    ("redoc", "redoc"),
]


class ApiRootView(APIView):
    """The API's front door: every resource with its absolute URL."""

    name = _("Marketplace API")
    description = _(
        "Every resource of the marketplace. Follow the links: each resource carries its own url, "
        "links to what it relates to and to the actions you may take (cancel, pay). "
        "Sign in (top right) to see your reservations, payments and my-page."
    )
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="api_root",
        responses={200: inline_serializer("ApiRoot", {key: serializers.URLField() for key, _name in API_ROOT})},
    )
    def get(self, request: Request) -> Response:
        return Response({key: reverse(route, request=request) for key, route in API_ROOT})


def home(request):
    """What this is, and the ways in: the catalogue, the API, its docs, the admin, signing in."""
    return render(request, "market/home.html")
