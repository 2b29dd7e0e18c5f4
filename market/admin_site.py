"""The admin site. Any active user may sign in: sellers manage their own products there (the
product admin decides what each may see); every other model still needs Django permissions,
so only staff see the rest."""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig


class MarketAdminSite(admin.AdminSite):
    site_header = "중고마켓 admin"
    site_title = "중고마켓"
    index_title = "Sellers manage their products here; staff see everything"

    def has_permission(self, request) -> bool:
        return request.user.is_active and request.user.is_authenticated


class MarketAdminConfig(AdminConfig):
    default_site = "market.admin_site.MarketAdminSite"
