from django.apps import AppConfig


class MypageConfig(AppConfig):
    name = "mypage"

    def ready(self) -> None:
        from mypage import handlers  # noqa: F401  (registers this context's event subscribers)
