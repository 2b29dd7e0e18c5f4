from django.apps import AppConfig


class ProductConfig(AppConfig):
    name = "product"

    def ready(self) -> None:
        from product import handlers  # noqa: F401  (registers this context's event subscribers)
