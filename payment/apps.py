from django.apps import AppConfig


class PaymentConfig(AppConfig):
    name = "payment"

    def ready(self) -> None:
        from payment import handlers  # noqa: F401  (registers this context's event subscribers)
