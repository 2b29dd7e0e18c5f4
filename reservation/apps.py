from django.apps import AppConfig


class ReservationConfig(AppConfig):
    name = "reservation"

    def ready(self) -> None:
        from reservation import (
            handlers,  # noqa: F401  (registers this context's event subscribers)
            jobs,  # noqa: F401  (registers the expiry sweep with the worker)
        )
