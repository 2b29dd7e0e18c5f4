from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProductConfig(AppConfig):
    name = "product"
    verbose_name = _("Products")  # as the admin names the app

    def ready(self) -> None:
        from product import handlers  # noqa: F401  (registers this context's event subscribers)
