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
        # Signing in without a destination (or with the index as one, as /admin/ sends) lands on
        # the products: what a seller came for.
        wanted = request.POST.get(REDIRECT_FIELD_NAME, request.GET.get(REDIRECT_FIELD_NAME))
        if wanted in (None, "", reverse("admin:index", current_app=self.name)):
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


def choices_filter(field: str, title, labels: dict[str, object]) -> type[admin.SimpleListFilter]:
    """A list filter on ``field`` whose title and choices read in the admin's language (the
    models' own choice labels are English words). Same URL as Django's: ``?<field>__exact=``."""

    class ChoicesFilter(admin.SimpleListFilter):
        parameter_name = f"{field}__exact"

        def lookups(self, request, model_admin):
            return list(labels.items())

        def queryset(self, request, queryset):
            value = self.value()
            return queryset.filter(**{field: value}) if value in labels else queryset

    ChoicesFilter.title = title
    return ChoicesFilter
