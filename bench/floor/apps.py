from django.apps import AppConfig


class FloorConfig(AppConfig):
    """The benchmark's floor: the least a reservation must do, with nothing of our domain around it."""

    name = "bench.floor"
    label = "floor"
    default_auto_field = "django.db.models.BigAutoField"
