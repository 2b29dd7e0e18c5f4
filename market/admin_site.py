"""The admin site. Any active user may sign in: sellers manage their own products there (the
product admin decides what each may see); every other model still needs Django permissions,
so only staff see the rest. ``ReadOnlyModelAdmin`` is the admin of a model nobody edits by hand."""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.urls import reverse
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _


class MarketAdminSite(admin.AdminSite):
    site_header = format_lazy(_("{site} admin"), site="중고마켓")
    site_title = "중고마켓"
    index_title = _("Sellers manage their products here; staff see everything")

    def has_permission(self, request) -> bool:
        return request.user.is_active and request.user.is_authenticated

    def login(self, request, extra_context=None):
        # Django's AdminAuthenticationForm turns away anyone who is not staff; sellers sign in
        # here with the plain AuthenticationForm (active users only). Imported here: this module
        # is loaded with the app registry (INSTALLED_APPS names its AppConfig), before auth's
        # models may be imported.
        from django.contrib.auth.forms import AuthenticationForm

        self.login_form = AuthenticationForm
        # Signing in without a destination lands on the products (what a seller came for), not
        # on the index.
        if REDIRECT_FIELD_NAME not in request.GET and REDIRECT_FIELD_NAME not in request.POST:
            extra_context = {
                REDIRECT_FIELD_NAME: reverse("admin:product_product_changelist", current_app=self.name),
                **(extra_context or {}),
            }
        return super().login(request, extra_context)


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
