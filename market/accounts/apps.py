from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    """Accounts as an app of its own (label ``accounts``), so its model, admin and migrations sit
    beside its services. It subscribes to no event: it only publishes ``UserRegistered`` and
    ``UserContactChanged``, so it has no ``handlers`` module to load."""

    name = "market.accounts"
    label = "accounts"
    verbose_name = _("Accounts")
