"""The admin site. Any active user may sign in: sellers manage their own products there (the
product admin decides what each may see); every other model still needs Django permissions,
so only staff see the rest. ``ReadOnlyModelAdmin`` is the admin of a model nobody edits by hand."""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig


class MarketAdminSite(admin.AdminSite):
    site_header = "중고마켓 admin"
    site_title = "중고마켓"
    index_title = "Sellers manage their products here; staff see everything"

    def has_permission(self, request) -> bool:
        return request.user.is_active and request.user.is_authenticated


class ReadOnlyModelAdmin(admin.ModelAdmin):
    """Look, never touch: the model changes only through its context's commands and events, so
    nobody (not even a superuser) adds, edits or deletes its rows here."""

    def get_readonly_fields(self, request, obj=None) -> list[str]:
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class MarketAdminConfig(AdminConfig):
    default_site = "market.admin_site.MarketAdminSite"
