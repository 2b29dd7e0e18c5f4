from django.apps import AppConfig


class MarketConfig(AppConfig):
    name = "market"
    verbose_name = "Market: events and accounts"

    def ready(self) -> None:
        from market.accounts import handlers  # noqa: F401  (registers subscribers)
