from django.apps import AppConfig


class NoticeConfig(AppConfig):
    name = "notice"

    def ready(self) -> None:
        from notice import handlers  # noqa: F401  (registers this context's event subscribers)
