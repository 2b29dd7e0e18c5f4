from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MypageConfig(AppConfig):
    name = "mypage"
    verbose_name = _("My page")  # as the admin names the app

    def ready(self) -> None:
        from mypage import handlers  # noqa: F401  (registers this context's event subscribers)
