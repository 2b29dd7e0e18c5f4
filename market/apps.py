from django.apps import AppConfig


class MarketConfig(AppConfig):
    name = "market"
    verbose_name = "Market: events"

    def ready(self) -> None:
        from market import checks, metrics  # noqa: F401  (metrics listen to the bus in every process, worker too)
        from market.bus import externalize

        externalize.register_from_settings()
